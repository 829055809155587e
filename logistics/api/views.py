"""The consignment inventory API: one view per operation. Every read goes through a selector
scoped to the caller (another supplier's stocking order, shipment, stock or offer is a 404, or
absent from a list); every change calls a service in logistics.services.

- Supplier users (scope `supplier`) answer stocking orders, send inbound shipments (by carrier
  or circular pickup), read their stock and its age, and answer overstock offers.
- Staff read what their role's view permissions allow; integrators see none of it (403), except
  the list of warehouses.
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.fields import empty
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import SUPPLIER, User
from logistics.models import (
    InboundLine,
    InboundShipment,
    OverstockOffer,
    PickupSlot,
    StockingOrder,
    StockPosition,
    Warehouse,
)
from logistics.selectors import (
    overstock_offers_visible_to,
    pickup_slots_visible_to,
    shipments_visible_to,
    stock_ageing,
    stock_positions_visible_to,
    stocking_orders_visible_to,
)
from logistics.services.inbound.notices import LineIn, inbound_create
from logistics.services.inbound.shipments import inbound_book, inbound_cancel
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_decline
from logistics.services.overstock import overstock_leave, overstock_take_back
from marketplace.api.exceptions import flat_fields
from marketplace.api.fields import id_field
from marketplace.api.schema import error_responses
from marketplace.errors import DomainError, ErrorKind
from suppliers.selectors import supplier_id_for

from .filters import (
    InboundShipmentFilter,
    OverstockOfferFilter,
    PickupSlotFilter,
    StockingOrderFilter,
    StockPositionFilter,
    WarehouseFilter,
)
from .pagination import (
    IssuedCursorPagination,
    OfferedCursorPagination,
    PositionCursorPagination,
    SlotCursorPagination,
)
from .permissions import CanCancelShipment, NotForIntegrators
from .serializers import (
    CancelInput,
    DeclineInput,
    InboundShipmentCreateInput,
    InboundShipmentOutput,
    OverstockOfferOutput,
    PickupSlotOutput,
    StockAgeingOutput,
    StockingOrderOutput,
    StockPositionOutput,
    WarehouseOutput,
)


def _caller(request: Request) -> User:
    return cast(User, request.user)


# --- Warehouses -------------------------------------------------------------------------------


class WarehouseListApi(generics.ListAPIView[Warehouse]):
    """The platform's warehouses: hubs in China, overseas warehouses, return centres and bonded
    warehouses, with their market and address. Anyone with `read`. Not paginated (a short,
    slowly changing list). Filter by `kind`, `market` and `is_active`."""

    serializer_class = WarehouseOutput
    filterset_class = WarehouseFilter
    pagination_class = None
    queryset = Warehouse.objects.all()

    @extend_schema(
        operation_id="warehouses_list",
        summary="List warehouses",
        responses={200: WarehouseOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


# --- Stocking orders --------------------------------------------------------------------------


class StockingOrderApiBase(generics.GenericAPIView[StockingOrder]):
    serializer_class = StockingOrderOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[StockingOrder]:
        return stocking_orders_visible_to(_caller(self.request))


class StockingOrderListApi(StockingOrderApiBase, generics.ListAPIView[StockingOrder]):
    """The platform's requests to stock a fully-managed listing, newest first: a supplier user
    its own, staff who may view stocking orders all. Integrators get 403. Filter by `status`
    (`issued` is the supplier's inbox), `listing` and `supplier`."""

    filterset_class = StockingOrderFilter
    pagination_class = IssuedCursorPagination

    @extend_schema(
        operation_id="stocking_orders_list",
        summary="List stocking orders",
        responses={200: StockingOrderOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class StockingOrderDetailApi(StockingOrderApiBase, generics.RetrieveAPIView[StockingOrder]):
    @extend_schema(
        operation_id="stocking_orders_retrieve",
        summary="Get a stocking order",
        description=(
            "One stocking order: the listing, the warehouse to stock, the quantity, its state "
            "and when it lapses. A supplier user sees its own only."
        ),
        responses={200: StockingOrderOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


def _stocking_order_response(user: User, pk: int) -> Response:
    order = get_object_or_404(stocking_orders_visible_to(user), pk=pk)
    return Response(StockingOrderOutput(order).data)


class StockingOrderAcceptApi(APIView):
    """The supplier accepts an issued stocking order; it then answers with an inbound shipment
    before the order expires. Only an `issued` order can be accepted (else 409
    `invalid_transition`); accepting an accepted order again changes nothing."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="stocking_orders_accept",
        summary="Accept a stocking order",
        request=None,
        responses={200: StockingOrderOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        order = get_object_or_404(stocking_orders_visible_to(user), pk=pk)
        stocking_order_accept(order, actor=user)
        return _stocking_order_response(user, pk)


class StockingOrderDeclineApi(APIView):
    """The supplier declines an issued stocking order, saying why (a blank reason is 422
    `reason_required` naming `reason`)."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="stocking_orders_decline",
        summary="Decline a stocking order",
        request=DeclineInput,
        responses={200: StockingOrderOutput, **error_responses(400, 401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        order = get_object_or_404(stocking_orders_visible_to(user), pk=pk)
        data = DeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        stocking_order_decline(order, actor=user, reason=data.validated_data["reason"])
        return _stocking_order_response(user, pk)


# --- Pickup slots -----------------------------------------------------------------------------


class PickupSlotListApi(generics.ListAPIView[PickupSlot]):
    """Circular pickup runs, soonest first: a supplier user the upcoming runs of its cluster,
    staff who may view them all. Integrators get 403. Filter by `cluster`, `date_after` and
    `date_before`."""

    serializer_class = PickupSlotOutput
    permission_classes = [NotForIntegrators]
    filterset_class = PickupSlotFilter
    pagination_class = SlotCursorPagination

    def get_queryset(self) -> QuerySet[PickupSlot]:
        return pickup_slots_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="pickup_slots_list",
        summary="List circular pickup slots",
        responses={200: PickupSlotOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


# --- Inbound shipments ------------------------------------------------------------------------


def _visible_shipments(user: User) -> QuerySet[InboundShipment]:
    lines = InboundLine.objects.select_related("inspection").order_by("id")
    return shipments_visible_to(user).prefetch_related(Prefetch("lines", queryset=lines))


def _shipment_response(user: User, pk: int, code: int = status.HTTP_200_OK) -> Response:
    shipment = get_object_or_404(_visible_shipments(user), pk=pk)
    return Response(InboundShipmentOutput(shipment).data, status=code)


class InboundShipmentApiBase(generics.GenericAPIView[InboundShipment]):
    serializer_class = InboundShipmentOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[InboundShipment]:
        return _visible_shipments(_caller(self.request))


class InboundShipmentListCreateApi(InboundShipmentApiBase, generics.ListAPIView[InboundShipment]):
    """Inbound shipments: the list (GET) and the supplier's advance notice (POST)."""

    filterset_class = InboundShipmentFilter
    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="inbound_shipments_list",
        summary="List inbound shipments",
        description=(
            "Inbound shipments, newest first, each with its lines: declared, received, damaged "
            "and over/short once counted, and each lot's inspection (code letter, sample size, "
            "Ac/Re, defectives found, severity and why). A supplier user its own, staff who "
            "may view shipments all. Integrators get 403. Filter by `status`, `stocking_order` "
            "and `supplier`."
        ),
        responses={200: InboundShipmentOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="inbound_shipments_create",
        summary="Send an inbound shipment notice",
        description=(
            "The supplier's answer to an accepted stocking order (scope `supplier`): its lines "
            "(left out, the whole order), then a `carrier` and `waybill`, or `pickup: true` "
            "when one of its factories is in an industrial cluster our circular pickups serve. "
            "The shipment is a `draft` until booked. A stocking order the caller cannot see is "
            "404 naming `stocking_order`; one not accepted 409 `not_accepted`; a notice with "
            "errors 422 `invalid_shipment` naming each field (`lines[0].listing`, `pickup`, "
            "`carrier`, `waybill`)."
        ),
        request=InboundShipmentCreateInput,
        responses={
            201: InboundShipmentOutput,
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)
        data = InboundShipmentCreateInput(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(flat_fields(data.errors))
        values: dict[str, Any] = data.validated_data
        order = stocking_orders_visible_to(user).filter(pk=values["stocking_order"]).first()
        if order is None:
            raise DomainError(
                "not_found",
                _("No such stocking order."),
                fields={"stocking_order": [_("No such stocking order.")]},
                kind=ErrorKind.NOT_FOUND,
            )
        lines = [LineIn(row["listing"], row["declared"]) for row in values.get("lines") or []]
        shipment = inbound_create(
            order,
            actor=user,
            lines=lines or None,
            carrier=values["carrier"],
            waybill=values["waybill"],
            pickup=values["pickup"],
        )
        return _shipment_response(user, shipment.pk, status.HTTP_201_CREATED)


class InboundShipmentDetailApi(InboundShipmentApiBase, generics.RetrieveAPIView[InboundShipment]):
    @extend_schema(
        operation_id="inbound_shipments_retrieve",
        summary="Get an inbound shipment",
        description=(
            "One inbound shipment with its lines, what was counted on arrival and each lot's "
            "inspection. A supplier user sees its own only."
        ),
        responses={200: InboundShipmentOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class InboundShipmentBookApi(APIView):
    """The supplier books a draft shipment: it has a carrier and waybill, or its pickup slot is
    assigned (else 422 `not_bookable` naming `waybill`). Booking a booked shipment again changes
    nothing; another state is 409 `invalid_transition`."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="inbound_shipments_book",
        summary="Book a draft shipment",
        request=None,
        responses={200: InboundShipmentOutput, **error_responses(401, 403, 404, 409, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        shipment = get_object_or_404(shipments_visible_to(user), pk=pk)
        inbound_book(shipment, actor=user)
        return _shipment_response(user, pk)


class InboundShipmentCancelApi(APIView):
    """Cancel a shipment still `draft` or `booked` (else 409 `invalid_transition`), saying why
    (else 422 `reason_required`): the supplier's users, or staff who may change shipments."""

    required_scopes = {"POST": SUPPLIER}
    permission_classes = [CanCancelShipment]

    @extend_schema(
        operation_id="inbound_shipments_cancel",
        summary="Cancel a shipment",
        request=CancelInput,
        responses={
            200: InboundShipmentOutput,
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        shipment = get_object_or_404(shipments_visible_to(user), pk=pk)
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        inbound_cancel(shipment, actor=user, reason=data.validated_data["reason"])
        return _shipment_response(user, pk)


# --- Stock ------------------------------------------------------------------------------------


class StockPositionListApi(generics.ListAPIView[StockPosition]):
    """Consignment stock per listing and warehouse: on hand, available, reserved for consumer
    orders, sold, and the age of the oldest unit still there. A supplier user its own, staff
    who may view stock all. Integrators get 403. Filter by `listing`, `warehouse` and
    `supplier`."""

    serializer_class = StockPositionOutput
    permission_classes = [NotForIntegrators]
    filterset_class = StockPositionFilter
    pagination_class = PositionCursorPagination

    def get_queryset(self) -> QuerySet[StockPosition]:
        return stock_positions_visible_to(_caller(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        operation_id="stock_list",
        summary="List consignment stock positions",
        responses={200: StockPositionOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class StockAgeingApi(APIView):
    """Units still in stock by age since receipt (0-30, 31-60, 61-90 and over 90 days; unsold
    for 90 days they are offered back). A supplier user reads its own; staff who may view stock
    name the supplier (`?supplier=`). Integrators get 403."""

    permission_classes = [NotForIntegrators]

    @extend_schema(
        operation_id="stock_ageing",
        summary="Get the stock ageing buckets",
        parameters=[
            OpenApiParameter(
                "supplier",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description="The supplier (staff only; a supplier user always reads its own).",
            )
        ],
        responses={200: StockAgeingOutput, **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        user = _caller(request)
        supplier_id = supplier_id_for(user)
        if supplier_id is None:
            if not user.has_perm("logistics.view_stockposition"):
                raise DomainError(
                    "permission_denied", _("You may not read stock."), kind=ErrorKind.FORBIDDEN
                )
            supplier = id_field()
            try:
                supplier_id = supplier.run_validation(request.query_params.get("supplier", empty))
            except serializers.ValidationError as error:
                raise serializers.ValidationError({"supplier": error.detail}) from error
        now = timezone.now()
        buckets = stock_ageing(supplier_id, now=now)
        return Response(
            StockAgeingOutput({"supplier": supplier_id, "as_of": now, "buckets": buckets}).data
        )


# --- Overstock offers -------------------------------------------------------------------------


class OverstockOfferListApi(generics.ListAPIView[OverstockOffer]):
    """Stock unsold for 90 days offered back to its supplier, newest first: a supplier user its
    own, staff who may view offers all. Integrators get 403. Filter by `status` (`offered`
    awaits the supplier's answer) and `supplier`."""

    serializer_class = OverstockOfferOutput
    permission_classes = [NotForIntegrators]
    filterset_class = OverstockOfferFilter
    pagination_class = OfferedCursorPagination

    def get_queryset(self) -> QuerySet[OverstockOffer]:
        return overstock_offers_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="overstock_offers_list",
        summary="List overstock offers",
        responses={200: OverstockOfferOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class OverstockOfferDetailApi(generics.RetrieveAPIView[OverstockOffer]):
    serializer_class = OverstockOfferOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[OverstockOffer]:
        return overstock_offers_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="overstock_offers_retrieve",
        summary="Get an overstock offer",
        description=(
            "One offer of stock unsold for 90 days: the units, the lot, and the supplier's "
            "answer if any. A supplier user sees its own only."
        ),
        responses={200: OverstockOfferOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


def _offer_response(user: User, pk: int) -> Response:
    offer = get_object_or_404(overstock_offers_visible_to(user), pk=pk)
    return Response(OverstockOfferOutput(offer).data)


class OverstockOfferTakeBackApi(APIView):
    """The supplier takes the units back at its freight: what is still available of the lot
    leaves as a return to the supplier (`quantity` says how many). Taking back again changes
    nothing; an offer left for a markdown is 409 `invalid_transition`."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="overstock_offers_take_back",
        summary="Take overstock back",
        request=None,
        responses={200: OverstockOfferOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        offer = get_object_or_404(overstock_offers_visible_to(user), pk=pk)
        overstock_take_back(offer, actor=user)
        return _offer_response(user, pk)


class OverstockOfferLeaveApi(APIView):
    """The supplier leaves the units for a markdown an operator decides. Leaving it again
    changes nothing; an offer taken back is 409 `invalid_transition`."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="overstock_offers_leave",
        summary="Leave overstock for a markdown",
        request=None,
        responses={200: OverstockOfferOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        offer = get_object_or_404(overstock_offers_visible_to(user), pk=pk)
        overstock_leave(offer, actor=user)
        return _offer_response(user, pk)
