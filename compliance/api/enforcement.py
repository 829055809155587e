"""Enforcement cases through the API: a supplier user reads its own cases and appeals them
(within COMPLIANCE_APPEAL_WINDOW, 7 days, with an optional evidence file); staff read them all
(their role's view permission); integrators are refused (403). Officers decide in the admin."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.permissions import HasScope
from accounts.models import SUPPLIER, User
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.parsers import JSONParser
from marketplace.api.schema import error_responses

from ..models import EnforcementCase, MarketHold
from ..selectors.enforcement import appeal_open, cases_visible_to
from ..services.enforcement import case_appeal

# --- Serializers ------------------------------------------------------------------------------


class HoldOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)

    class Meta:
        model = MarketHold
        fields = ["id", "listing", "market", "started_at", "lifted_at"]
        read_only_fields = fields


# An amount of CNY as a string, or null (no fine, not reversed).
_AMOUNT_OR_NULL = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class EnforcementCaseOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    test_record = serializers.IntegerField(source="test_record_id", read_only=True)
    standard = serializers.CharField(source="test_record.standard.code", read_only=True)
    report_number = serializers.CharField(source="test_record.report_number", read_only=True)
    appeal_until = serializers.DateTimeField(read_only=True)
    may_appeal = serializers.SerializerMethodField(
        help_text="Whether the supplier may appeal now (open and within the appeal window)."
    )
    markets_held = serializers.SerializerMethodField(
        help_text="The markets where the case holds a listing off sale now."
    )
    holds = serializers.SerializerMethodField()
    fine = serializers.SerializerMethodField(help_text="CNY; null below step 2.")
    fine_reversed = serializers.SerializerMethodField(
        help_text="CNY given back when the case was overturned; null otherwise."
    )
    has_evidence = serializers.SerializerMethodField()

    class Meta:
        model = EnforcementCase
        fields = [
            "id",
            "supplier",
            "listing",
            "test_record",
            "standard",
            "report_number",
            "step",
            "status",
            "opened_at",
            "appeal_until",
            "may_appeal",
            "markets_held",
            "holds",
            "fine",
            "fine_reversed",
            "suspended_supplier",
            "appeal_text",
            "appealed_at",
            "has_evidence",
            "decision_note",
            "decided_at",
        ]
        read_only_fields = fields

    def _holds(self, case: EnforcementCase) -> list[MarketHold]:
        holds = getattr(case, "all_holds", None)
        return list(case.holds.all()) if holds is None else holds

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_may_appeal(self, case: EnforcementCase) -> bool:
        return appeal_open(case)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_markets_held(self, case: EnforcementCase) -> list[str]:
        now = timezone.now()
        return sorted(
            {h.market for h in self._holds(case) if h.lifted_at is None or h.lifted_at > now}
        )

    @extend_schema_field(HoldOutput(many=True))
    def get_holds(self, case: EnforcementCase) -> Any:
        return HoldOutput(self._holds(case), many=True).data

    @extend_schema_field(_AMOUNT_OR_NULL)
    def get_fine(self, case: EnforcementCase) -> str | None:
        entry = case.fine_entry
        return None if entry is None else str(entry.amount.copy_abs())

    @extend_schema_field(_AMOUNT_OR_NULL)
    def get_fine_reversed(self, case: EnforcementCase) -> str | None:
        entry = case.fine_reversal
        return None if entry is None else str(entry.amount)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_has_evidence(self, case: EnforcementCase) -> bool:
        return bool(case.appeal_file)


class CaseAppealInput(serializers.Serializer):
    text = serializers.CharField(
        max_length=5000, allow_blank=True, help_text="Why the case is wrong (required)."
    )
    file = serializers.FileField(
        required=False,
        allow_empty_file=False,
        help_text="Evidence: a PDF, JPEG or PNG of at most 5 MB (multipart only).",
    )


# --- Views ------------------------------------------------------------------------------------


class NotForIntegrators(HasScope):
    """Cases are between the platform and the supplier: integrators get 403."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if hasattr(request.user, "api_client"):
            self.message = "Enforcement cases are read by the supplier concerned and by staff."
            return False
        return True


class OpenedCursorPagination(CreatedCursorPagination):
    """Cases, newest opened first."""

    ordering = ("-opened_at", "-id")


def _caller(request: Request) -> User:
    return cast(User, request.user)


def _cases(user: User) -> QuerySet[EnforcementCase]:
    return (
        cases_visible_to(user)
        .select_related("fine_reversal")
        .prefetch_related(
            Prefetch(
                "holds",
                queryset=MarketHold.objects.order_by("market", "listing_id"),
                to_attr="all_holds",
            )
        )
    )


class EnforcementCaseApiBase(generics.GenericAPIView[EnforcementCase]):
    serializer_class = EnforcementCaseOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[EnforcementCase]:
        return _cases(_caller(self.request))


class EnforcementCaseListApi(EnforcementCaseApiBase, generics.ListAPIView[EnforcementCase]):
    """Enforcement cases, newest first: a supplier user its own, staff who may view cases all.
    Integrators get 403."""

    pagination_class = OpenedCursorPagination

    @extend_schema(
        operation_id="enforcement_cases_list",
        summary="List enforcement cases",
        responses={200: EnforcementCaseOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class EnforcementCaseDetailApi(EnforcementCaseApiBase, generics.RetrieveAPIView[EnforcementCase]):
    @extend_schema(
        operation_id="enforcement_cases_retrieve",
        summary="Get an enforcement case",
        description=(
            "One case: the failed test, the step of the ladder (1 held, 2 fined, 3 supplier "
            "suspended), the markets held, the fine, the appeal and the decision. A supplier "
            "user sees its own only."
        ),
        responses={200: EnforcementCaseOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class EnforcementCaseAppealApi(APIView):
    """The supplier appeals its case within 7 days of its opening (after that 409
    `appeal_window_closed`), saying why (`text`, required: 422 `appeal_text_required`), with an
    optional evidence file when sent as multipart (PDF, JPEG or PNG; else 422
    `invalid_evidence` naming `file`). A case already appealed is returned as it stands; a
    decided one is 409 `invalid_transition`."""

    required_scopes = {"POST": SUPPLIER}
    permission_classes = [NotForIntegrators]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="enforcement_cases_appeal",
        summary="Appeal an enforcement case",
        request={
            "application/json": CaseAppealInput,
            "multipart/form-data": CaseAppealInput,
        },
        responses={
            201: EnforcementCaseOutput,
            **error_responses(400, 401, 403, 404, 409, 415, 422, 429),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        case = get_object_or_404(_cases(user), pk=pk)
        data = CaseAppealInput(data=request.data)
        data.is_valid(raise_exception=True)
        case_appeal(
            case,
            text=data.validated_data["text"],
            file=data.validated_data.get("file"),
            actor=user,
        )
        case = get_object_or_404(_cases(user), pk=pk)
        return Response(EnforcementCaseOutput(case).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("enforcement-cases/", EnforcementCaseListApi.as_view(), name="api-enforcement-case-list"),
    path(
        "enforcement-cases/<int:pk>/",
        EnforcementCaseDetailApi.as_view(),
        name="api-enforcement-case-detail",
    ),
    path(
        "enforcement-cases/<int:pk>/appeal/",
        EnforcementCaseAppealApi.as_view(),
        name="api-enforcement-case-appeal",
    ),
]
