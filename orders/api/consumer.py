"""Consumer orders and the payables their sales record: filters, serializers, the detail and
payables views and their routes (mounted by orders/api/urls.py). Every read goes through a
selector in orders.selectors.

- The storefront's doors that change consumer orders (place, fulfil, cancel) and the list live in
  shipping/api/consumer_orders.py, with these serializers: they make and unmake parcels, which
  are shipping's.
- Supplier users read their own consumer orders and payables; staff what their role's view
  permissions allow. Integrators read consumer orders, never payables.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from catalogue.models import Market
from logistics.api.permissions import NotForIntegrators
from logistics.services.inbound.common import MAX_UNITS
from marketplace.api.fields import id_field
from marketplace.api.filters import DateTimeFilter, IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses
from orders.models import ConsumerOrder, JitOrder, Payable
from orders.selectors import consumer_orders_visible_to, payables_visible_to

from .serializers import JitOrderOutput


def _caller(request: Request) -> User:
    return cast(User, request.user)


# --- Pagination and filters -------------------------------------------------------------------


class ConsumerOrderCursorPagination(CreatedCursorPagination):
    """Consumer orders, newest first."""

    ordering = ("-ordered_at", "-id")


class PayableCursorPagination(CreatedCursorPagination):
    """Payables, newest first."""

    ordering = ("-recorded_at", "-id")


# Plain numbers, not model choices: looking an id up would tell a supplier user which other
# suppliers and listings exist. The rows are scoped to the caller before these apply.


class ConsumerOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ConsumerOrder.Status.choices)
    listing = IdFilter(field_name="listing_id", label="Listing id")
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff and integrators)")
    external_id = django_filters.CharFilter(label="The storefront's order reference")
    ordered_after = DateTimeFilter(
        field_name="ordered_at", lookup_expr="gte", label="Ordered at or after (ISO 8601)"
    )
    ordered_before = DateTimeFilter(
        field_name="ordered_at", lookup_expr="lt", label="Ordered before (ISO 8601)"
    )

    class Meta:
        model = ConsumerOrder
        fields = [
            "status",
            "listing",
            "supplier",
            "external_id",
            "ordered_after",
            "ordered_before",
        ]


class PayableFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Payable.Status.choices)
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")
    recorded_after = DateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", label="Recorded at or after (ISO 8601)"
    )
    recorded_before = DateTimeFilter(
        field_name="recorded_at", lookup_expr="lt", label="Recorded before (ISO 8601)"
    )

    class Meta:
        model = Payable
        fields = ["status", "supplier", "recorded_after", "recorded_before"]


# --- Serializers ------------------------------------------------------------------------------


class ConsumerOrderOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    warehouse = serializers.IntegerField(
        source="warehouse_id",
        read_only=True,
        allow_null=True,
        help_text="The platform warehouse the units are held in; null for a semi-managed order "
        "(the seller's own overseas stock).",
    )
    country = serializers.CharField(
        read_only=True, help_text="Where the consumer lives (ISO 3166 alpha-2)."
    )
    unit_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The retail price per unit the consumer paid, frozen when ordered, in "
        "`currency` (the market's).",
    )
    currency = serializers.CharField(read_only=True, help_text="ISO 4217, the market's.")
    unit_supply_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="CNY per unit, frozen when ordered: the payable's price at the sale.",
    )
    fulfilled_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The sale: ownership passed to the platform and the payable was recorded.",
    )

    class Meta:
        model = ConsumerOrder
        fields = [
            "id",
            "external_id",
            "listing",
            "supplier",
            "warehouse",
            "market",
            "country",
            "quantity",
            "unit_price",
            "currency",
            "unit_supply_price",
            "status",
            "ordered_at",
            "fulfilled_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class ConsumerOrderCreateInput(serializers.Serializer):
    listing = id_field(
        help_text="The listing's id: fully managed (consignment stock) or semi-managed (the "
        "seller's overseas stock in the market)."
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_UNITS, help_text="Units (at least 1)."
    )
    external_id = serializers.CharField(
        max_length=64,
        help_text="The storefront's own order reference: one consumer order per reference.",
    )
    market = serializers.ChoiceField(choices=Market.choices, help_text="Where the consumer buys.")
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$",
        required=False,
        help_text="Where the consumer lives (ISO 3166 alpha-2), one of the market's countries "
        "(an EU member state for `EU`, `GB` for `UK`, ...): the parcel's destination. Default: "
        "the market's country (required for `EU`).",
    )


class ConsumerOrderMadeOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="`consumer`: stock was reserved.")
    order = ConsumerOrderOutput()


class JitOrderMadeOutput(serializers.Serializer):
    kind = serializers.CharField(
        help_text="`jit`: a JIT listing without stock; a JIT order was made (JIT rules apply)."
    )
    order = JitOrderOutput()


CONSUMER, JIT = "consumer", "jit"
ORDER_FIELDS = {CONSUMER: ConsumerOrderOutput.Meta.fields, JIT: JitOrderOutput.Meta.fields}

CREATED_SCHEMA = PolymorphicProxySerializer(
    component_name="ConsumerOrderCreated",
    serializers={CONSUMER: ConsumerOrderMadeOutput, JIT: JitOrderMadeOutput},
    resource_type_field_name="kind",
)


class PayableOutput(serializers.ModelSerializer):
    order = serializers.IntegerField(
        source="order_id", read_only=True, help_text="The consumer order whose sale it records."
    )
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    listing = serializers.IntegerField(source="order.listing_id", read_only=True)
    quantity = serializers.IntegerField(source="order.quantity", read_only=True)
    unit_supply_price = serializers.DecimalField(
        source="order.unit_supply_price", max_digits=12, decimal_places=2, read_only=True
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="CNY owed: quantity x the supply price frozen on the order.",
    )

    class Meta:
        model = Payable
        fields = [
            "id",
            "order",
            "supplier",
            "listing",
            "quantity",
            "unit_supply_price",
            "amount",
            "status",
            "recorded_at",
        ]
        read_only_fields = fields


# --- Consumer orders --------------------------------------------------------------------------


def made_body(order: ConsumerOrder | JitOrder) -> dict[str, Any]:
    if isinstance(order, JitOrder):
        return {"kind": JIT, "order": dict(JitOrderOutput(order).data)}
    return {"kind": CONSUMER, "order": dict(ConsumerOrderOutput(order).data)}


def in_field_order(response: Response) -> Response:
    """A replayed body comes from a jsonb column, which keeps no key order: give the order's
    keys back in the order of the first answer (the top level is idempotency's job)."""
    body = response.data
    if isinstance(body, dict) and isinstance(body.get("order"), dict):
        fields = ORDER_FIELDS.get(body.get("kind", ""), [])
        order = body["order"]
        body["order"] = {
            **{name: order[name] for name in fields if name in order},
            **{name: value for name, value in order.items() if name not in fields},
        }
    return response


class ConsumerOrderDetailApi(generics.RetrieveAPIView[ConsumerOrder]):
    serializer_class = ConsumerOrderOutput

    def get_queryset(self) -> QuerySet[ConsumerOrder]:
        return consumer_orders_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="consumer_orders_retrieve",
        summary="Get a consumer order",
        description=(
            "One consumer order: its listing, warehouse, market, quantity, frozen supply price "
            "and state. A supplier user sees its own only."
        ),
        responses={200: ConsumerOrderOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


# --- Payables ---------------------------------------------------------------------------------


class PayableApiBase(generics.GenericAPIView[Payable]):
    serializer_class = PayableOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[Payable]:
        return payables_visible_to(_caller(self.request)).select_related("order")


class PayableListApi(PayableApiBase, generics.ListAPIView[Payable]):
    """What the platform owes suppliers for consignment stock sold, newest first: a supplier
    user its own, finance and operators who may view payables all. Integrators get 403. Filter
    by `status`, `supplier`, `recorded_after` and `recorded_before`."""

    filterset_class = PayableFilter
    pagination_class = PayableCursorPagination

    @extend_schema(
        operation_id="payables_list",
        summary="List payables",
        responses={200: PayableOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class PayableDetailApi(PayableApiBase, generics.RetrieveAPIView[Payable]):
    @extend_schema(
        operation_id="payables_retrieve",
        summary="Get a payable",
        description=(
            "What the platform owes for one consumer order's sale: quantity, frozen supply price "
            "and amount. A supplier user sees its own only; integrators get 403."
        ),
        responses={200: PayableOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


# The list, the storefront's order, fulfilment and cancellation are shipping's doors
# (shipping/api/consumer_orders.py): they make and unmake parcels.
urlpatterns = [
    path(
        "consumer-orders/<int:pk>/",
        ConsumerOrderDetailApi.as_view(),
        name="api-consumer-order-detail",
    ),
    path("payables/", PayableListApi.as_view(), name="api-payable-list"),
    path("payables/<int:pk>/", PayableDetailApi.as_view(), name="api-payable-detail"),
]
