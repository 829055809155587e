"""The JIT orders API: one view per operation. Every read goes through a selector scoped to the
caller (another supplier's order or penalty is a 404, or absent from a list); every change calls
a service in orders.services.orders.

- The storefront (`orders:write`) creates orders, with an `Idempotency-Key`, and cancels the
  ones it placed before shipment.
- The supplier (its users, scope `supplier`) reads its to-ship queue, ships one order or many,
  declares a stockout, and reads and appeals its penalties.
- The carrier (`tracking:write`) posts scans; the first one is the official time of shipment.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import SUPPLIER, Scope, User
from compliance.api.answer import compliance_blocked_response
from marketplace.api.exceptions import flat_fields
from marketplace.api.schema import error_responses
from marketplace.errors import DomainError, ErrorKind
from orders.models import JitOrder, Penalty
from orders.selectors import orders_placed_by, orders_visible_to, penalties_visible_to
from orders.services.orders import (
    jit_order_create,
    order_cancel,
    order_declare_stockout,
    order_first_scan,
    order_ship,
    orders_ship_many,
    penalty_appeal,
    validate_waybill,
)

from . import idempotency
from .filters import JitOrderFilter, PenaltyFilter
from .pagination import AssessedCursorPagination, OrderedCursorPagination
from .permissions import CanReadPenalties
from .serializers import (
    AppealInput,
    JitOrderCancelInput,
    JitOrderCreateInput,
    JitOrderOutput,
    PenaltyOutput,
    ScanInput,
    ScanOutput,
    ShipInput,
    ShipManyInput,
    StockoutInput,
)


def _caller(request: Request) -> User:
    return cast(User, request.user)


def _own_order(user: User, pk: int) -> JitOrder:
    return get_object_or_404(orders_visible_to(user), pk=pk)


# --- Orders -----------------------------------------------------------------------------------


class JitOrderListCreateApi(generics.ListAPIView[JitOrder]):
    """JIT orders: the list (GET) and the storefront's new order (POST)."""

    serializer_class = JitOrderOutput
    filterset_class = JitOrderFilter
    pagination_class = OrderedCursorPagination
    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    def get_queryset(self) -> QuerySet[JitOrder]:
        return orders_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="jit_orders_list",
        summary="List JIT orders",
        description=(
            "JIT orders the caller may see, oldest first (the order of their deadlines): a "
            "supplier user its own (`?status=awaiting_shipment` is its to-ship queue); "
            "integrators with `read` and staff every one. Filter by `status`, `ordered_after`, "
            "`ordered_before`, `supplier`, `listing` and `external_id`."
        ),
        responses={200: JitOrderOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="jit_orders_create",
        summary="Place a JIT order",
        description=(
            "The storefront's order on a JIT listing (scope `orders:write`), with an "
            "`Idempotency-Key`. The unit supply price is frozen on the order; the supplier must "
            "ship within 24 hours. Refused with 409 or 422 and a `code`: `listing_not_live`, "
            "`listing_not_jit`, `supplier_jit_paused`, `supplier_not_active`, "
            "`no_supply_price`, `listing_not_found`, `invalid_quantity`, "
            "`compliance_blocked` (422: the listing's compliance does not hold in `market`, or "
            "without `market` in none of the markets it is priced in; `reasons` says why)."
        ),
        request=JitOrderCreateInput,
        parameters=idempotency.SCHEMA_PARAMETERS,
        responses={
            201: OpenApiResponse(
                JitOrderOutput, description="Created, or the replay of the key's first answer."
            ),
            **error_responses(400, 401, 403, 409, 429),
            **compliance_blocked_response(),
        },
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)

        def make(data: dict[str, Any]) -> dict[str, Any]:
            order = jit_order_create(
                listing_id=data["listing"],
                quantity=data["quantity"],
                external_id=data["external_id"],
                actor=user,
                market=data.get("market"),
            )
            return dict(JitOrderOutput(order).data)

        return idempotency.idempotent_create(
            request, JitOrderCreateInput, make, field_order=JitOrderOutput.Meta.fields
        )


class JitOrderDetailApi(generics.RetrieveAPIView[JitOrder]):
    """One JIT order with its deadlines and shipment times."""

    serializer_class = JitOrderOutput

    def get_queryset(self) -> QuerySet[JitOrder]:
        return orders_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="jit_orders_retrieve",
        summary="Get a JIT order",
        responses={200: JitOrderOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class JitOrderShipApi(APIView):
    """The supplier hands the goods to SF Express for the JIT warehouse and records the waybill.
    A waybill that is not SF Express's format is refused with 422 `invalid_waybill` naming
    `waybill`. Shipping an order already shipped answers it as it stands. An order failed as
    a stockout after 72 h unshipped (not one the supplier declared) may still be recorded as
    shipped: the carrier's first scan is then the time of shipment, and reverses the penalties
    of the deadlines it met."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="jit_orders_ship",
        summary="Ship a JIT order",
        request=ShipInput,
        responses={200: JitOrderOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        order = _own_order(user, pk)
        data = ShipInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_ship(order, waybill=data.validated_data["waybill"], actor=user)
        return Response(JitOrderOutput(order).data)


class JitOrderShipManyApi(APIView):
    """Ship several orders at once (at most 100): all ship, or none. A wrong waybill is refused
    with 422 `invalid_waybill` naming each one at fault (`orders[2].waybill`); an order the
    caller cannot see with 404 naming it (`orders[0].id`)."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="jit_orders_ship_many",
        summary="Ship several JIT orders at once",
        request=ShipManyInput,
        responses={
            200: JitOrderOutput(many=True),
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)
        data = ShipManyInput(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(flat_fields(data.errors))
        rows: list[dict[str, Any]] = data.validated_data["orders"]
        found = orders_visible_to(user).in_bulk([row["id"] for row in rows])
        missing = {
            f"orders[{index}].id": [_("No such order.")]
            for index, row in enumerate(rows)
            if row["id"] not in found
        }
        if missing:
            raise DomainError(
                "not_found", _("No such order."), fields=missing, kind=ErrorKind.NOT_FOUND
            )
        # Checked here as well as in the service, to name each waybill by its place in the
        # request, as the caller sent it.
        wrong: dict[str, list[str]] = {}
        for index, row in enumerate(rows):
            try:
                validate_waybill(row["waybill"])
            except DomainError as error:
                wrong[f"orders[{index}].waybill"] = error.fields["waybill"]
        if wrong:
            raise DomainError(
                "invalid_waybill",
                _("Some waybill numbers are wrong."),
                fields=wrong,
                kind=ErrorKind.INVALID,
            )
        shipped = orders_ship_many([(found[row["id"]], row["waybill"]) for row in rows], actor=user)
        return Response(JitOrderOutput(shipped, many=True).data)


class JitOrderStockoutApi(APIView):
    """The supplier declares it cannot supply the order, with a reason: the order fails as a
    stockout (a penalty of 5x goods value follows, per the SPEC table)."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="jit_orders_stockout",
        summary="Declare a stockout",
        request=StockoutInput,
        responses={200: JitOrderOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        order = _own_order(user, pk)
        data = StockoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_declare_stockout(order, reason=data.validated_data["reason"], actor=user)
        return Response(JitOrderOutput(order).data)


class JitOrderCancelApi(APIView):
    """The storefront cancels a JIT order before shipment (scope `orders:write`), with a reason:
    the consumer cancelled. No penalty follows. Only an order awaiting shipment (else 409
    `invalid_transition`); cancelling an order already cancelled answers it as it stands. A
    storefront cancels only the orders it placed: another client's order is 404."""

    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    @extend_schema(
        operation_id="jit_orders_cancel",
        summary="Cancel a JIT order",
        request=JitOrderCancelInput,
        responses={200: JitOrderOutput, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        data = JitOrderCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = get_object_or_404(orders_placed_by(user), pk=pk)
        order = order_cancel(order, reason=data.validated_data["reason"], actor=user)
        return Response(JitOrderOutput(order).data)


# --- Carrier scans ----------------------------------------------------------------------------


class TrackingScanCreateApi(APIView):
    """The carrier's scan of a JIT waybill. Only the earliest scan matters: it is the official
    time of shipment. A duplicate or later scan changes nothing; an earlier one arriving out of
    order replaces it. Every case answers 200 with the time now official. When a supplier packed
    several orders in one parcel, the scan counts for each of them (`orders`). An unknown
    waybill is 404 `unknown_waybill`; a scan more than a few minutes in the future
    (`scan_in_future`) or before an order was placed (`scan_before_order`) is 422. A scan
    that arrives after the deadline sweep penalised an order, stamped before a deadline,
    reverses the penalties of the deadlines it met (a `penalty_reversal` ledger entry and the
    event `order.penalty_reversed` each), once."""

    required_scopes = {"POST": Scope.TRACKING_WRITE.value}

    @extend_schema(
        operation_id="tracking_scans_create",
        summary="Record a carrier scan",
        request=ScanInput,
        responses={200: ScanOutput, **error_responses(400, 401, 403, 404, 422, 429)},
    )
    def post(self, request: Request) -> Response:
        data = ScanInput(data=request.data)
        data.is_valid(raise_exception=True)
        orders = order_first_scan(
            waybill=data.validated_data["waybill"],
            scanned_at=data.validated_data["scanned_at"],
            actor=_caller(request),
        )
        return Response(ScanOutput(orders[0], context={"orders": orders}).data)


# --- Penalties --------------------------------------------------------------------------------


def _visible_penalties(user: User) -> QuerySet[Penalty]:
    return penalties_visible_to(user).select_related("appeal")


class PenaltyApiBase(generics.GenericAPIView[Penalty]):
    serializer_class = PenaltyOutput
    permission_classes = [CanReadPenalties]

    def get_queryset(self) -> QuerySet[Penalty]:
        return _visible_penalties(_caller(self.request))


class PenaltyListApi(PenaltyApiBase, generics.ListAPIView[Penalty]):
    """Penalties, newest first, each with its rule, rule version, evidence and appeal: a
    supplier user its own, staff who may view penalties all of them (filter with `supplier`).
    Integrators get 403. Filter by `tier`, `status`, `order`, `assessed_after` and
    `assessed_before`."""

    filterset_class = PenaltyFilter
    pagination_class = AssessedCursorPagination

    @extend_schema(
        operation_id="penalties_list",
        summary="List penalties",
        responses={200: PenaltyOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class PenaltyDetailApi(PenaltyApiBase, generics.RetrieveAPIView[Penalty]):
    @extend_schema(
        operation_id="penalties_retrieve",
        summary="Get a penalty",
        description=(
            "One penalty with its rule, rule version, evidence, amount and appeal. A supplier "
            "user sees its own only; integrators get 403."
        ),
        responses={200: PenaltyOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class PenaltyAppealApi(APIView):
    """The supplier appeals a penalty with a reason, within 7 days of its assessment (after
    that 409 `appeal_window_closed`; a second appeal 409 `already_appealed`). An operator then
    upholds or waives it. Attachments are added in the portal."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="penalties_appeal",
        summary="Appeal a penalty",
        request=AppealInput,
        responses={201: PenaltyOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        penalty = get_object_or_404(penalties_visible_to(user), pk=pk)
        data = AppealInput(data=request.data)
        data.is_valid(raise_exception=True)
        penalty_appeal(penalty, reason=data.validated_data["reason"], actor=user)
        penalty = get_object_or_404(_visible_penalties(user), pk=pk)
        return Response(PenaltyOutput(penalty).data, status=status.HTTP_201_CREATED)
