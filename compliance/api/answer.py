"""The compliance answer's shapes in the API (the answer itself is served beside the listing, by
the catalogue: `GET /api/v1/listings/{id}/compliance/`), the refusal body of the gates
(`compliance_blocked`, 422) for the operations that answer it, and the rules read:
`GET /api/v1/standards/` and `GET /api/v1/test-programmes/`."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.api.schema import ERROR_DESCRIPTIONS, ErrorOutput, error_responses
from marketplace.markets import Market

from ..models import ProgrammeRequirement, Standard, TestProgramme
from ..selectors.answer import REASON_CODES, Answer, reason_data


class ReasonOutput(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=[(code, code) for code in REASON_CODES], help_text="Stable: switch on it."
    )
    message = serializers.CharField(help_text="For people, in the caller's language.")
    standard = serializers.CharField(
        allow_null=True, help_text="The standard's code the reason is about, if any."
    )
    on = serializers.DateField(
        allow_null=True,
        help_text="The date it is about: a test's or certificate's expiry, a failed test's "
        "issue date, a hold's start, the audit's date.",
    )
    fields = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(),
        help_text="The fields it names (eFiling data missing, GPSR details missing).",
    )


class MarketReasonOutput(ReasonOutput):
    market = serializers.ChoiceField(choices=Market.choices)


@extend_schema_serializer(component_name="ComplianceBlockedError")
class ComplianceBlockedErrorOutput(ErrorOutput):
    """The error body, with `reasons` when `code` is `compliance_blocked`."""

    reasons = MarketReasonOutput(
        many=True,
        required=False,
        help_text="With `compliance_blocked`: every reason the listing may not be sold in the "
        "market(s) asked about.",
    )


def compliance_blocked_response() -> dict[int, OpenApiResponse]:
    """The 422 of an operation behind a compliance gate."""
    return {
        422: OpenApiResponse(
            ComplianceBlockedErrorOutput,
            description=ERROR_DESCRIPTIONS[422]
            + " `compliance_blocked`: the listing's compliance does not hold in the market; "
            "`reasons` lists why.",
        )
    }


class AnswerOutput(serializers.Serializer):
    listing = serializers.IntegerField()
    market = serializers.ChoiceField(choices=Market.choices)
    at = serializers.DateTimeField(help_text="The moment judged.")
    may_sell = serializers.BooleanField()
    may_ship = serializers.BooleanField()
    reasons = ReasonOutput(many=True)


def answer_data(answer: Answer) -> dict[str, Any]:
    return {
        "listing": answer.listing_id,
        "market": answer.market,
        "at": answer.at,
        "may_sell": answer.may_sell,
        "may_ship": answer.may_ship,
        "reasons": [reason_data(reason) for reason in answer.reasons],
    }


class AnswerQuery(serializers.Serializer):
    market = serializers.CharField(max_length=10)
    at = serializers.DateTimeField(required=False)


# --- The rules, read ----------------------------------------------------------------------------


class StandardOutput(serializers.ModelSerializer[Standard]):
    class Meta:
        model = Standard
        fields = [
            "id",
            "code",
            "title",
            "market",
            "covers",
            "test_cost_cny",
            "effective_from",
            "effective_to",
        ]
        read_only_fields = fields


class RequirementOutput(serializers.ModelSerializer[ProgrammeRequirement]):
    standard = serializers.CharField(source="standard.code", help_text="The standard's code.")
    standard_id = serializers.IntegerField()

    class Meta:
        model = ProgrammeRequirement
        fields = ["standard_id", "standard", "evidence", "lab_flag", "efiling"]
        read_only_fields = fields


class ProgrammeOutput(serializers.ModelSerializer[TestProgramme]):
    category = serializers.IntegerField(
        source="category_id", allow_null=True, help_text="Null: every consumer product."
    )
    requirements = RequirementOutput(many=True)

    class Meta:
        model = TestProgramme
        fields = [
            "id",
            "name",
            "market",
            "category",
            "effective_from",
            "effective_to",
            "requirements",
        ]
        read_only_fields = fields


class RulesQuery(serializers.Serializer):
    market = serializers.ChoiceField(choices=Market.choices, required=False)
    in_force_on = serializers.DateField(required=False)
    category = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


RULES_PARAMETERS = [
    OpenApiParameter("market", str, enum=Market.values, description="Only this market's."),
    OpenApiParameter(
        "in_force_on", OpenApiTypes.DATE, description="Only those in force on this day."
    ),
]


class StandardListApi(generics.ListAPIView[Standard]):
    """The standards (rules as data, effective-dated). Not paginated (a small table)."""

    serializer_class = StandardOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[Standard]:
        query = RulesQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        found = Standard.objects.all()
        if "market" in query.validated_data:
            found = found.filter(market=query.validated_data["market"])
        if "in_force_on" in query.validated_data:
            found = found.in_force(query.validated_data["in_force_on"])
        return found.order_by("market", "code")

    @extend_schema(
        operation_id="standards_list",
        summary="List standards",
        description="The standards products are tested or certified to, with their dates.",
        parameters=RULES_PARAMETERS,
        responses={200: StandardOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ProgrammeListApi(generics.ListAPIView[TestProgramme]):
    """The test programmes with their requirements. Not paginated (a small table)."""

    serializer_class = ProgrammeOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[TestProgramme]:
        query = RulesQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        found = TestProgramme.objects.prefetch_related("requirements__standard")
        data = query.validated_data
        if "market" in data:
            found = found.filter(market=data["market"])
        if "in_force_on" in data:
            found = found.in_force(data["in_force_on"])
        if "category" in data:
            found = found.filter(category_id=data["category"])
        return found.order_by("market", "category_id", "-effective_from", "id")

    @extend_schema(
        operation_id="test_programmes_list",
        summary="List test programmes",
        description=(
            "What each category needs in each market, from a date: the required standards and "
            "the evidence that satisfies each (a category's programme replaces its parent's, "
            "which replaces the one without a category). Filter by `market`, `category` and "
            "`in_force_on`."
        ),
        parameters=[
            *RULES_PARAMETERS,
            OpenApiParameter("category", int, description="Only this category's programmes."),
        ],
        responses={200: ProgrammeOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


urlpatterns = [
    path("standards/", StandardListApi.as_view(), name="api-standard-list"),
    path("test-programmes/", ProgrammeListApi.as_view(), name="api-programme-list"),
]
