"""Restock proposals through the API (SPEC, "Demand-driven restock"): a supplier user reads its
own proposals, each with every term of its arithmetic, and confirms (quantity within the stocking
cap, ship date), declines (with a reason) or snoozes one; staff who may view proposals read them
all; integrators are refused (403). Another supplier's proposal is a 404 on every route.
Operators issue proposals directly and snooze them in the admin."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import SUPPLIER, User
from logistics.api.permissions import NotForIntegrators
from marketplace.api.fields import integer_field
from marketplace.api.filters import IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses

from ..models import Forecast, RestockProposal
from ..selectors.proposals import (
    arithmetic_of,
    proposals_visible_to,
    room_under_cap,
    ship_by_window,
)
from ..services.proposals import (
    REASON_MAX,
    SNOOZE_DAYS_MAX,
    proposal_confirm,
    proposal_decline,
    proposal_snooze,
)


def _caller(request: Request) -> User:
    return cast(User, request.user)


# --- Serializers ------------------------------------------------------------------------------


class ProposalOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    stocking_order = serializers.IntegerField(
        source="stocking_order_id",
        read_only=True,
        allow_null=True,
        help_text="The stocking order issued when it was confirmed or issued.",
    )
    lead_days = serializers.SerializerMethodField(
        help_text="The replenishment time: confirm + production + transit + receiving days."
    )
    rounded = serializers.SerializerMethodField(
        help_text="The need rounded up to whole cases, before the stocking cap."
    )

    class Meta:
        model = RestockProposal
        fields = [
            "id",
            "listing",
            "supplier",
            "status",
            "urgent",
            "quantity",
            "proposed_at",
            "updated_at",
            "expires_at",
            "snoozed_until",
            "method",
            "mean_daily",
            "confirm_days",
            "production_days",
            "transit_days",
            "receiving_days",
            "lead_days",
            "demand_over_lead",
            "service_level",
            "safety_stock",
            "safety_method",
            "available",
            "inbound",
            "open_orders",
            "open_proposals",
            "need",
            "case_pack",
            "rounded",
            "cap",
            "decided_at",
            "decline_reason",
            "ship_by",
            "stocking_order",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_lead_days(self, proposal: RestockProposal) -> int:
        return arithmetic_of(proposal).lead_days

    @extend_schema_field(serializers.IntegerField())
    def get_rounded(self, proposal: RestockProposal) -> int:
        return arithmetic_of(proposal).rounded


class ProposalDetailOutput(ProposalOutput):
    explanation = serializers.SerializerMethodField(
        help_text="The arithmetic in words, in the language the request asks for."
    )
    pattern = serializers.SerializerMethodField(
        help_text="The listing's demand pattern (smooth, erratic, intermittent, lumpy, none); "
        "null without a forecast."
    )
    room_under_cap = serializers.SerializerMethodField(
        help_text="Units the listing may still be asked for now (its stocking cap less its open "
        "stocking orders); null when uncapped. A confirmed quantity must fit."
    )
    ship_by_earliest = serializers.SerializerMethodField(help_text="China's date.")
    ship_by_latest = serializers.SerializerMethodField(
        help_text="The last day of the stocking order a confirmation issues (China's date)."
    )

    class Meta(ProposalOutput.Meta):
        fields = [
            *ProposalOutput.Meta.fields,
            "explanation",
            "pattern",
            "room_under_cap",
            "ship_by_earliest",
            "ship_by_latest",
        ]
        read_only_fields = fields

    def _forecast(self, proposal: RestockProposal) -> Forecast | None:
        return Forecast.objects.filter(listing_id=proposal.listing_id).first()

    @extend_schema_field(serializers.CharField())
    def get_explanation(self, proposal: RestockProposal) -> str:
        return arithmetic_of(proposal, self._forecast(proposal)).sentence()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pattern(self, proposal: RestockProposal) -> str | None:
        forecast = self._forecast(proposal)
        return forecast.pattern if forecast is not None else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_room_under_cap(self, proposal: RestockProposal) -> int | None:
        return room_under_cap(proposal.listing)

    @extend_schema_field(serializers.DateField())
    def get_ship_by_earliest(self, proposal: RestockProposal) -> Any:
        return ship_by_window(proposal)[0]

    @extend_schema_field(serializers.DateField())
    def get_ship_by_latest(self, proposal: RestockProposal) -> Any:
        return ship_by_window(proposal)[1]


class ProposalConfirmInput(serializers.Serializer):
    quantity = integer_field(
        help_text="Units to stock (at least 1; within `room_under_cap` when there is a cap)."
    )
    ship_by = serializers.DateField(
        help_text="When the supplier ships: from today (China's date) to `ship_by_latest`."
    )


class ProposalDeclineInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX, allow_blank=True, help_text="Why not (required)."
    )


class ProposalSnoozeInput(serializers.Serializer):
    days = integer_field(help_text=f"1 to {SNOOZE_DAYS_MAX}.")


# --- Filters and pagination --------------------------------------------------------------------


class ProposalFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RestockProposal.Status.choices)
    urgent = django_filters.BooleanFilter()
    listing = IdFilter(field_name="listing_id", label="Listing id")
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")

    class Meta:
        model = RestockProposal
        fields = ["status", "urgent", "listing", "supplier"]


class ProposedCursorPagination(CreatedCursorPagination):
    """Proposals, newest first."""

    ordering = ("-proposed_at", "-id")


# --- Views ------------------------------------------------------------------------------------


class ProposalApiBase(generics.GenericAPIView[RestockProposal]):
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[RestockProposal]:
        return proposals_visible_to(_caller(self.request))


class ProposalListApi(ProposalApiBase, generics.ListAPIView[RestockProposal]):
    serializer_class = ProposalOutput
    filterset_class = ProposalFilter
    pagination_class = ProposedCursorPagination

    @extend_schema(
        operation_id="restock_proposals_list",
        summary="List restock proposals",
        description=(
            "Proposed stocking orders, newest first, each with every term of its arithmetic: a "
            "supplier user its own, staff who may view proposals all; integrators get 403. "
            "Filter by `status` (`open` is the supplier's inbox), `urgent`, `listing` and "
            "`supplier`."
        ),
        responses={200: ProposalOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ProposalDetailApi(ProposalApiBase, generics.RetrieveAPIView[RestockProposal]):
    serializer_class = ProposalDetailOutput

    @extend_schema(
        operation_id="restock_proposals_retrieve",
        summary="Get a restock proposal",
        description=(
            "One proposal with its arithmetic in words (`explanation`), the room left under the "
            "stocking cap and the ship dates a confirmation may give. A supplier user sees its "
            "own only."
        ),
        responses={200: ProposalDetailOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


def _proposal(user: User, pk: int) -> RestockProposal:
    return get_object_or_404(proposals_visible_to(user), pk=pk)


def _response(user: User, pk: int) -> Response:
    return Response(ProposalDetailOutput(_proposal(user, pk)).data)


class ProposalConfirmApi(APIView):
    """The supplier confirms an open proposal: the stocking order is issued for `quantity` (at
    least 1, within the stocking cap: else 422 naming `quantity`) and the supplier ships by
    `ship_by` (today to the stocking order's last day: else 422 naming `ship_by`). A proposal
    that is no longer open is 409 `invalid_transition`."""

    required_scopes = {"POST": SUPPLIER}
    permission_classes = [NotForIntegrators]

    @extend_schema(
        operation_id="restock_proposals_confirm",
        summary="Confirm a restock proposal",
        request=ProposalConfirmInput,
        responses={200: ProposalDetailOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        proposal = _proposal(user, pk)
        data = ProposalConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal_confirm(
            proposal,
            actor=user,
            quantity=data.validated_data["quantity"],
            ship_by=data.validated_data["ship_by"],
        )
        return _response(user, pk)


class ProposalDeclineApi(APIView):
    """The supplier declines an open proposal, saying why (a blank reason is 422
    `reason_required` naming `reason`)."""

    required_scopes = {"POST": SUPPLIER}
    permission_classes = [NotForIntegrators]

    @extend_schema(
        operation_id="restock_proposals_decline",
        summary="Decline a restock proposal",
        request=ProposalDeclineInput,
        responses={200: ProposalDetailOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        proposal = _proposal(user, pk)
        data = ProposalDeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal_decline(proposal, actor=user, reason=data.validated_data["reason"])
        return _response(user, pk)


class ProposalSnoozeApi(APIView):
    """The supplier snoozes an open proposal for `days` (1 to 30, else 422 naming `days`): the
    planning job leaves it alone and it does not expire meanwhile."""

    required_scopes = {"POST": SUPPLIER}
    permission_classes = [NotForIntegrators]

    @extend_schema(
        operation_id="restock_proposals_snooze",
        summary="Snooze a restock proposal",
        request=ProposalSnoozeInput,
        responses={200: ProposalDetailOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        proposal = _proposal(user, pk)
        data = ProposalSnoozeInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal_snooze(proposal, actor=user, days=data.validated_data["days"])
        return _response(user, pk)


urlpatterns = [
    path("restock-proposals/", ProposalListApi.as_view(), name="api-restock-proposal-list"),
    path(
        "restock-proposals/<int:pk>/",
        ProposalDetailApi.as_view(),
        name="api-restock-proposal-detail",
    ),
    path(
        "restock-proposals/<int:pk>/confirm/",
        ProposalConfirmApi.as_view(),
        name="api-restock-proposal-confirm",
    ),
    path(
        "restock-proposals/<int:pk>/decline/",
        ProposalDeclineApi.as_view(),
        name="api-restock-proposal-decline",
    ),
    path(
        "restock-proposals/<int:pk>/snooze/",
        ProposalSnoozeApi.as_view(),
        name="api-restock-proposal-snooze",
    ),
]
