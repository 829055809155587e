"""Returns through the API (SPEC, "Returns"): the storefront (`orders:write`) opens a return of
items of a delivered parcel of an order it placed, with an `Idempotency-Key`, and may cancel it
until the goods are received; it reads the returns it opened. A supplier user reads its own
returns; staff who may view returns all of them. The reason list is public to every caller.
Operators authorise, decline, receive and refund in the admin."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope, User
from marketplace.api.fields import BlankAsNullChoiceField, id_field
from marketplace.api.filters import DateTimeFilter, IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses
from orders.api import idempotency

from ..models import Refund, ReturnLine, ReturnReason, ReturnRequest
from ..selectors.visibility import returns_placed_by, returns_visible_to
from ..services.requests import MAX_LINES, LineInput, return_cancel, return_request_create


def _caller(request: Request) -> User:
    return cast(User, request.user)


# --- Serializers ------------------------------------------------------------------------------


class ReturnReasonOutput(serializers.ModelSerializer):
    # The metaclass takes declared fields out of the class body, so this does not shadow
    # Field.label.
    label = serializers.CharField(  # type: ignore[assignment]
        read_only=True, help_text="In the language the request asks for (Accept-Language)."
    )
    counts_as_defect = serializers.BooleanField(
        read_only=True, help_text="Counts toward the listing's return rate."
    )
    requires_note = serializers.BooleanField(
        read_only=True, help_text="A line with this reason needs a `note`."
    )

    class Meta:
        model = ReturnReason
        fields = ["code", "label", "label_en", "label_zh", "counts_as_defect", "requires_note"]
        read_only_fields = fields


class ReturnLineOutput(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id", read_only=True, help_text="Parcel item id.")
    reason = serializers.CharField(source="reason.code", read_only=True)
    unit_value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Per unit, in the parcel's currency.",
    )
    unit_value_usd = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="Per unit in USD at the rate of the day the return was opened.",
    )

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "item",
            "quantity",
            "reason",
            "note",
            "unit_value",
            "unit_value_usd",
            "received",
            "defective",
            "restocked",
            "not_restocked",
            "missing",
            "inspected_at",
        ]
        read_only_fields = fields


class RefundOutput(serializers.ModelSerializer):
    lines = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="The return lines it covers: {line id: units}.",
    )

    class Meta:
        model = Refund
        fields = ["id", "amount", "currency", "lines", "shipping_included", "recorded_at"]
        read_only_fields = fields


class ReturnOutput(serializers.ModelSerializer):
    parcel = serializers.IntegerField(source="parcel_id", read_only=True)
    order = serializers.IntegerField(source="order_id", read_only=True)
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    refund_only = serializers.BooleanField(
        read_only=True,
        help_text="Every unit worth less than the refund-only threshold: nothing travels back.",
    )
    return_centre = serializers.IntegerField(
        source="return_centre_id",
        read_only=True,
        allow_null=True,
        help_text="The warehouse the goods go back to; null for a refund-only return.",
    )
    decline_reason = BlankAsNullChoiceField(
        choices=ReturnRequest.DeclineReason.choices, read_only=True
    )
    lines = ReturnLineOutput(many=True, read_only=True)
    refund = serializers.SerializerMethodField()

    class Meta:
        model = ReturnRequest
        fields = [
            "id",
            "external_id",
            "parcel",
            "order",
            "listing",
            "supplier",
            "market",
            "status",
            "refund_only",
            "return_centre",
            "decline_reason",
            "decline_note",
            "requested_at",
            "status_changed_at",
            "received_at",
            "lines",
            "refund",
        ]
        read_only_fields = fields

    @extend_schema_field(RefundOutput(allow_null=True))
    def get_refund(self, request: ReturnRequest) -> dict[str, Any] | None:
        try:
            refund = request.refund
        except Refund.DoesNotExist:
            return None
        return dict(RefundOutput(refund).data)


class ReturnLineInput(serializers.Serializer):
    item = id_field(help_text="The parcel item's id.")
    quantity = serializers.IntegerField(
        min_value=1, max_value=100000, help_text="Units of the item (at least 1)."
    )
    reason = serializers.CharField(max_length=30, help_text="A code from `return-reasons/`.")
    note = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for a reason that `requires_note` (`other`).",
    )


class ReturnCreateInput(serializers.Serializer):
    parcel = id_field(help_text="A delivered parcel of an order this storefront placed.")
    external_id = serializers.CharField(
        max_length=64, help_text="The storefront's own return reference: one return each."
    )
    lines = serializers.ListField(child=ReturnLineInput(), min_length=1, max_length=MAX_LINES)


# --- Filters and pagination --------------------------------------------------------------------


class ReturnFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReturnRequest.Status.choices)
    parcel = IdFilter(field_name="parcel_id", label="Parcel id")
    listing = IdFilter(field_name="listing_id", label="Listing id")
    external_id = django_filters.CharFilter(label="The storefront's return reference")
    requested_after = DateTimeFilter(
        field_name="requested_at", lookup_expr="gte", label="Requested at or after (ISO 8601)"
    )
    requested_before = DateTimeFilter(
        field_name="requested_at", lookup_expr="lt", label="Requested before (ISO 8601)"
    )

    class Meta:
        model = ReturnRequest
        fields = [
            "status",
            "parcel",
            "listing",
            "external_id",
            "requested_after",
            "requested_before",
        ]


class RequestedCursorPagination(CreatedCursorPagination):
    """Returns, newest first."""

    ordering = ("-requested_at", "-id")


def returns_read(queryset: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    """With their lines and refund, in a fixed number of queries."""
    return queryset.select_related("refund").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("reason").order_by("pk"))
    )


# --- Views -------------------------------------------------------------------------------------

CREATE_ERRORS = (
    "Refused with 404, 409 or 422 and a `code` naming the field in `fields`: "
    "`parcel_not_found` (404: no parcel of an order this storefront placed), "
    "`parcel_not_delivered` (409), `return_window_ended` (422: more than the return window "
    "after delivery), `item_not_found` (422, `lines[i].item`), `already_returned` (409, "
    "`lines[i].quantity`: more units than are left of the item once the parcel's other "
    "returns, cancelled and declined ones aside, are counted), `unknown_reason` (422, "
    "`lines[i].reason`), `note_required` (422, `lines[i].note`), `invalid_quantity` (422), "
    "`duplicate_external_id` (409: the message and `fields.external_id` name the existing "
    "return), `no_return_centre` (409: the market has no return centre yet), "
    "`no_exchange_rate` (422: no rate to USD for the parcel's currency on the day)."
)


class ReturnListCreateApi(generics.ListAPIView[ReturnRequest]):
    """Returns: the list (GET) and the storefront's new return (POST)."""

    serializer_class = ReturnOutput
    filterset_class = ReturnFilter
    pagination_class = RequestedCursorPagination
    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    def get_queryset(self) -> QuerySet[ReturnRequest]:
        return returns_read(returns_visible_to(_caller(self.request)))

    @extend_schema(
        operation_id="returns_list",
        summary="List returns",
        description=(
            "Returns, newest first, with their lines and refund: a storefront the returns it "
            "opened, a supplier user its own, staff who may view returns all. Filter by "
            "`status`, `parcel`, `listing`, `external_id`, `requested_after` and "
            "`requested_before`."
        ),
        responses={200: ReturnOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="returns_create",
        summary="Open a return",
        description=(
            "The storefront (scope `orders:write`) opens a return of items of a delivered "
            "parcel of an order it placed, within the return window after delivery, each line "
            "with a reason from `return-reasons/`; with an `Idempotency-Key` as for orders. "
            "Each line's unit value is kept in the parcel's currency and in USD at the day's "
            "rate. A return whose every unit is worth less than the refund-only threshold "
            "(USD 10) is `refund_only`: refunded and closed at once, nothing travels back. "
            "Others wait, `requested`, for the marketplace to authorise them (`open`, the "
            "`return_centre` named) or decline them. " + CREATE_ERRORS
        ),
        request=ReturnCreateInput,
        parameters=idempotency.SCHEMA_PARAMETERS,
        responses={
            201: OpenApiResponse(
                ReturnOutput, description="Created, or the replay of the key's first answer."
            ),
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)

        def make(data: dict[str, Any]) -> dict[str, Any]:
            made = return_request_create(
                parcel_id=data["parcel"],
                external_id=data["external_id"],
                lines=[
                    LineInput(
                        item=line["item"],
                        quantity=line["quantity"],
                        reason=line["reason"],
                        note=line["note"],
                    )
                    for line in data["lines"]
                ],
                actor=user,
            )
            return dict(
                ReturnOutput(returns_read(ReturnRequest.objects.all()).get(pk=made.pk)).data
            )

        return idempotency.idempotent_create(
            request, ReturnCreateInput, make, field_order=ReturnOutput.Meta.fields
        )


class ReturnDetailApi(generics.RetrieveAPIView[ReturnRequest]):
    serializer_class = ReturnOutput

    def get_queryset(self) -> QuerySet[ReturnRequest]:
        return returns_read(returns_visible_to(_caller(self.request)))

    @extend_schema(
        operation_id="returns_retrieve",
        summary="Get a return",
        description=(
            "One return: its lines (reason, unit values, what the return centre found and each "
            "unit's disposition) and its refund. Visible to the storefront that opened it, its "
            "supplier and staff."
        ),
        responses={200: ReturnOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class ReturnCancelApi(APIView):
    """The storefront withdraws its return (scope `orders:write`) before the return centre
    received the goods: 409 `return_received` after that, 409 `invalid_transition` for a
    closed or declined return; cancelling a cancelled return again changes nothing. Another
    client's return is 404."""

    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    @extend_schema(
        operation_id="returns_cancel",
        summary="Cancel a return",
        request=None,
        responses={200: ReturnOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        found = get_object_or_404(returns_placed_by(user), pk=pk)
        return_cancel(found, actor=user)
        return Response(ReturnOutput(returns_read(ReturnRequest.objects.all()).get(pk=pk)).data)


class ReturnReasonListApi(generics.ListAPIView[ReturnReason]):
    serializer_class = ReturnReasonOutput
    pagination_class = None

    def get_queryset(self) -> QuerySet[ReturnReason]:
        return ReturnReason.objects.filter(is_active=True).order_by("position", "code")

    @extend_schema(
        operation_id="return_reasons_list",
        summary="List return reasons",
        description=(
            "The reasons a return line may give (the marketplace edits the list), in their "
            "order; `requires_note` ones need a note, `counts_as_defect` ones count toward the "
            "listing's return rate."
        ),
        responses={200: ReturnReasonOutput(many=True), **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


urlpatterns = [
    path("returns/", ReturnListCreateApi.as_view(), name="api-return-list"),
    path("returns/<int:pk>/", ReturnDetailApi.as_view(), name="api-return-detail"),
    path("returns/<int:pk>/cancel/", ReturnCancelApi.as_view(), name="api-return-cancel"),
    path("return-reasons/", ReturnReasonListApi.as_view(), name="api-return-reason-list"),
]
