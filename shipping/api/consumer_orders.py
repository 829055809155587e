"""The storefront's consumer-order doors that make or unmake parcels (moved here from
orders/api/consumer.py, same routes and operation ids; orders sits below shipping and knows no
parcel): the list and the new order, fulfilment, cancellation. The serializers are the orders
app's.

- The storefront (`orders:write`) places an order, with an `Idempotency-Key` as for JIT orders:
  it reserves consignment stock (fully managed) or the seller's overseas stock in the market
  (semi-managed: the order's parcel is made at once, for the seller to ship), or, on a JIT
  listing without stock, becomes a JIT order. The platform's warehouse then fulfils a
  fully-managed order (the sale; its parcels are packed in the same transaction) or cancels it
  (the reservation is released; a semi-managed order's unshipped parcel goes with it).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope, User
from compliance.api.answer import compliance_blocked_response
from marketplace.api.schema import error_responses
from orders.api import idempotency
from orders.api.consumer import (
    CREATED_SCHEMA,
    ConsumerOrderCreateInput,
    ConsumerOrderCursorPagination,
    ConsumerOrderFilter,
    ConsumerOrderOutput,
    in_field_order,
    made_body,
)
from orders.models import ConsumerOrder
from orders.selectors import consumer_orders_visible_to

from ..services.parcels import (
    consumer_order_fulfil_and_pack,
    consumer_order_place,
    consumer_order_withdraw,
)


def _caller(request: Request) -> User:
    return cast(User, request.user)


class ConsumerOrderListCreateApi(generics.ListAPIView[ConsumerOrder]):
    """Consumer orders: the list (GET) and the storefront's new order (POST)."""

    serializer_class = ConsumerOrderOutput
    filterset_class = ConsumerOrderFilter
    pagination_class = ConsumerOrderCursorPagination
    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    def get_queryset(self) -> QuerySet[ConsumerOrder]:
        return consumer_orders_visible_to(_caller(self.request))

    @extend_schema(
        operation_id="consumer_orders_list",
        summary="List consumer orders",
        description=(
            "Consumer orders, newest first: a supplier user its own; integrators with `read` "
            "and staff who may view them all. Filter by `status`, `listing`, `supplier`, "
            "`external_id`, `ordered_after` and `ordered_before`."
        ),
        responses={200: ConsumerOrderOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="consumer_orders_create",
        summary="Place a consumer order",
        description=(
            "The storefront's order (scope `orders:write`), with an `Idempotency-Key` as for "
            "JIT orders. The retail price of the `market` (`unit_price`, `currency`) and the "
            "consumer's `country` are frozen on the order. On a fully-managed listing it "
            "reserves consignment stock (`kind: consumer`); on a JIT listing without the stock "
            "it becomes a JIT order instead (`kind: jit`, rendered as `jit-orders/` does, and "
            "the JIT rules apply). On a semi-managed listing it reserves the seller's reported "
            "overseas stock in the market (no `warehouse`) and its parcel is made at once, for "
            "the seller to ship. Refused with 409 or 422 and a `code`: `listing_not_found`, "
            "`invalid_quantity`, `unknown_market`, `country_required` (422: the EU market needs "
            "the `country`), `country_not_in_market` (422: `country` is not one of the "
            "market's), `supplier_suspended` and `supplier_not_active` (422: the listing's "
            "supplier may not sell), `no_retail_price` (422: no retail price in that "
            "`market`), `duplicate_external_id` (409: this client already placed an order with "
            "this `external_id`; the message and `fields.external_id` name the existing "
            "order), `listing_not_live`, `no_supply_price`, `out_of_stock` (409: fewer units "
            "free than asked), `no_overseas_stock` (422: the seller of a semi-managed listing "
            "reports no stock in that market), `compliance_blocked` (422: the listing's "
            "compliance does not hold in that `market`; `reasons` lists why, each with its "
            "`code`, `message`, `standard`, `on` and `fields`), and for a JIT order the JIT "
            "refusals."
        ),
        request=ConsumerOrderCreateInput,
        parameters=idempotency.SCHEMA_PARAMETERS,
        responses={
            201: OpenApiResponse(
                CREATED_SCHEMA, description="Created, or the replay of the key's first answer."
            ),
            **error_responses(400, 401, 403, 409, 429),
            **compliance_blocked_response(),
        },
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)

        def make(data: dict[str, Any]) -> dict[str, Any]:
            order = consumer_order_place(
                listing_id=data["listing"],
                quantity=data["quantity"],
                external_id=data["external_id"],
                market=data["market"],
                country=data.get("country"),
                actor=user,
            )
            return made_body(order)

        response = idempotency.idempotent_create(
            request, ConsumerOrderCreateInput, make, field_order=("kind", "order")
        )
        return in_field_order(response)


class ConsumerOrderFulfilApi(APIView):
    """The platform's warehouse fulfils a fully-managed order (scope `orders:write`): the
    reservation becomes a sale, ownership passes to the platform, the supplier's payable is
    recorded at the frozen supply price, and the order is packed into parcels (split by weight,
    each with a platform tracking number), in one transaction. Only a `reserved` order (else 409
    `invalid_transition`); fulfilling a fulfilled order again changes nothing. A semi-managed
    order is fulfilled by its seller's shipment (409 `shipped_by_seller`)."""

    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    @extend_schema(
        operation_id="consumer_orders_fulfil",
        summary="Fulfil a consumer order",
        request=None,
        responses={200: ConsumerOrderOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        order = get_object_or_404(consumer_orders_visible_to(user), pk=pk)
        order = consumer_order_fulfil_and_pack(order, actor=user)
        return Response(ConsumerOrderOutput(order).data)


class ConsumerOrderCancelApi(APIView):
    """The consumer's order is cancelled before fulfilment (scope `orders:write`): the
    reservation is released (a semi-managed order's unshipped parcel goes with it). Only a
    `reserved` order (else 409 `invalid_transition`); cancelling a cancelled order again changes
    nothing."""

    required_scopes = {"POST": Scope.ORDERS_WRITE.value}

    @extend_schema(
        operation_id="consumer_orders_cancel",
        summary="Cancel a consumer order",
        request=None,
        responses={200: ConsumerOrderOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        order = get_object_or_404(consumer_orders_visible_to(user), pk=pk)
        order = consumer_order_withdraw(order, actor=user)
        return Response(ConsumerOrderOutput(order).data)


urlpatterns = [
    path(
        "consumer-orders/",
        ConsumerOrderListCreateApi.as_view(),
        name="api-consumer-order-list",
    ),
    path(
        "consumer-orders/<int:pk>/fulfil/",
        ConsumerOrderFulfilApi.as_view(),
        name="api-consumer-order-fulfil",
    ),
    path(
        "consumer-orders/<int:pk>/cancel/",
        ConsumerOrderCancelApi.as_view(),
        name="api-consumer-order-cancel",
    ),
]
