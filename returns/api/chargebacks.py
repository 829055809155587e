"""Chargebacks through the API: a supplier user reads its own (and may appeal in the portal);
finance and operators who may view chargebacks read them all; integrators are refused (403)."""

from __future__ import annotations

from typing import cast

import django_filters
from django.db.models import QuerySet
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from logistics.api.permissions import NotForIntegrators
from marketplace.api.filters import DateTimeFilter, IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses

from ..models import Chargeback
from ..selectors.visibility import chargebacks_visible_to


class ChargebackOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    line = serializers.IntegerField(source="line_id", read_only=True)
    return_id = serializers.IntegerField(source="line.request_id", read_only=True)
    entry = serializers.IntegerField(
        source="entry_id", read_only=True, allow_null=True, help_text="The ledger entry."
    )
    reversal = serializers.IntegerField(
        source="reversal_id",
        read_only=True,
        allow_null=True,
        help_text="The reversal entry, when an appeal was upheld.",
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="CNY: units x the supply price frozen on the order + the handling fee.",
    )
    appeal_until = serializers.DateTimeField(read_only=True)
    may_appeal = serializers.SerializerMethodField(
        help_text="Whether the supplier may appeal now (standing, within the appeal window)."
    )

    class Meta:
        model = Chargeback
        fields = [
            "id",
            "supplier",
            "return_id",
            "line",
            "units",
            "unit_supply_price",
            "handling_fee",
            "amount",
            "entry",
            "status",
            "charged_at",
            "appeal_until",
            "may_appeal",
            "appeal_text",
            "appealed_at",
            "decided_at",
            "decision_note",
            "reversal",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_may_appeal(self, chargeback: Chargeback) -> bool:
        return (
            chargeback.status == Chargeback.Status.STANDING
            and timezone.now() <= chargeback.appeal_until
        )


class ChargebackFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Chargeback.Status.choices)
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")
    charged_after = DateTimeFilter(
        field_name="charged_at", lookup_expr="gte", label="Charged at or after (ISO 8601)"
    )
    charged_before = DateTimeFilter(
        field_name="charged_at", lookup_expr="lt", label="Charged before (ISO 8601)"
    )

    class Meta:
        model = Chargeback
        fields = ["status", "supplier", "charged_after", "charged_before"]


class ChargedCursorPagination(CreatedCursorPagination):
    """Chargebacks, newest first."""

    ordering = ("-charged_at", "-id")


class ChargebackListApi(generics.ListAPIView[Chargeback]):
    serializer_class = ChargebackOutput
    filterset_class = ChargebackFilter
    pagination_class = ChargedCursorPagination
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[Chargeback]:
        return chargebacks_visible_to(cast(User, self.request.user)).select_related("line")

    @extend_schema(
        operation_id="chargebacks_list",
        summary="List chargebacks",
        description=(
            "Defective returned units charged to suppliers, newest first: a supplier user its "
            "own, finance and operators who may view chargebacks all; integrators get 403. "
            "Filter by `status`, `supplier`, `charged_after` and `charged_before`."
        ),
        responses={200: ChargebackOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


urlpatterns = [path("chargebacks/", ChargebackListApi.as_view(), name="api-chargeback-list")]
