"""The de minimis table through the API: `GET /api/v1/de-minimis-rules/` (scope `read`), by
market and by the day they are in force. Not paginated: a small table (as the standards)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.api.schema import error_responses
from marketplace.markets import Market

from ..models import DeMinimisRule


class DeMinimisRuleOutput(serializers.ModelSerializer[DeMinimisRule]):
    channel = serializers.CharField(help_text="`postal`, `courier`, or empty: any channel.")
    origins = serializers.CharField(
        help_text="Comma-separated ISO 3166 codes the rule is limited to; empty: any origin."
    )
    excluded_origins = serializers.CharField(
        help_text="Comma-separated ISO 3166 codes excluded from de minimis; `*`: all origins."
    )
    duty_threshold = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Duty relief up to this customs value (inclusive), in `currency`; null: none.",
    )
    tax_threshold = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Tax relief up to this customs value (inclusive); null: tax from the first unit.",
    )
    flat_duty = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="With `flat_per_subheading`: the duty per distinct 6-digit HS subheading.",
    )

    class Meta:
        model = DeMinimisRule
        fields = [
            "id",
            "market",
            "channel",
            "origins",
            "excluded_origins",
            "outcome",
            "currency",
            "duty_threshold",
            "tax_threshold",
            "flat_duty",
            "requires_ioss",
            "tax_at_sale",
            "effective_from",
            "effective_to",
            "source",
            "note",
        ]
        read_only_fields = fields


class RulesQuery(serializers.Serializer):
    market = serializers.ChoiceField(choices=Market.choices, required=False)
    on = serializers.DateField(required=False)


class DeMinimisRuleListApi(generics.ListAPIView[DeMinimisRule]):
    serializer_class = DeMinimisRuleOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[DeMinimisRule]:
        query = RulesQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        found = DeMinimisRule.objects.all()
        if "market" in query.validated_data:
            found = found.filter(market=query.validated_data["market"])
        if "on" in query.validated_data:
            found = found.in_force(query.validated_data["on"])
        return found.order_by("market", "-effective_from", "channel", "origins", "id")

    @extend_schema(
        operation_id="de_minimis_rules_list",
        summary="List de minimis rules",
        description=(
            "The de minimis table (rules as data, effective-dated, edited by operators): per "
            "market, channel and origin, what a parcel within the thresholds gets (`relief`, "
            "`flat_per_subheading`, or `none`: every parcel is entered), and whether the tax is "
            "collected at sale. Filter by `market` and by `on` (the rows in force that day). "
            "Scope `read`."
        ),
        parameters=[
            OpenApiParameter("market", str, enum=Market.values, description="Only this market's."),
            OpenApiParameter(
                "on", OpenApiTypes.DATE, description="Only the rows in force on this day."
            ),
        ],
        responses={200: DeMinimisRuleOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


urlpatterns = [
    path("de-minimis-rules/", DeMinimisRuleListApi.as_view(), name="api-de-minimis-rule-list"),
]
