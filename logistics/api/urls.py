from django.urls import path

from .views import (
    InboundShipmentBookApi,
    InboundShipmentCancelApi,
    InboundShipmentDetailApi,
    InboundShipmentListCreateApi,
    OverstockOfferDetailApi,
    OverstockOfferLeaveApi,
    OverstockOfferListApi,
    OverstockOfferTakeBackApi,
    PickupSlotListApi,
    StockAgeingApi,
    StockingOrderAcceptApi,
    StockingOrderDeclineApi,
    StockingOrderDetailApi,
    StockingOrderListApi,
    StockPositionListApi,
    WarehouseListApi,
)

urlpatterns = [
    path("warehouses/", WarehouseListApi.as_view(), name="api-warehouse-list"),
    path("stocking-orders/", StockingOrderListApi.as_view(), name="api-stocking-order-list"),
    path(
        "stocking-orders/<int:pk>/",
        StockingOrderDetailApi.as_view(),
        name="api-stocking-order-detail",
    ),
    path(
        "stocking-orders/<int:pk>/accept/",
        StockingOrderAcceptApi.as_view(),
        name="api-stocking-order-accept",
    ),
    path(
        "stocking-orders/<int:pk>/decline/",
        StockingOrderDeclineApi.as_view(),
        name="api-stocking-order-decline",
    ),
    path(
        "inbound-shipments/",
        InboundShipmentListCreateApi.as_view(),
        name="api-inbound-shipment-list",
    ),
    path(
        "inbound-shipments/<int:pk>/",
        InboundShipmentDetailApi.as_view(),
        name="api-inbound-shipment-detail",
    ),
    path(
        "inbound-shipments/<int:pk>/book/",
        InboundShipmentBookApi.as_view(),
        name="api-inbound-shipment-book",
    ),
    path(
        "inbound-shipments/<int:pk>/cancel/",
        InboundShipmentCancelApi.as_view(),
        name="api-inbound-shipment-cancel",
    ),
    path("pickup-slots/", PickupSlotListApi.as_view(), name="api-pickup-slot-list"),
    path("stock/", StockPositionListApi.as_view(), name="api-stock-list"),
    path("stock/ageing/", StockAgeingApi.as_view(), name="api-stock-ageing"),
    path("overstock-offers/", OverstockOfferListApi.as_view(), name="api-overstock-offer-list"),
    path(
        "overstock-offers/<int:pk>/",
        OverstockOfferDetailApi.as_view(),
        name="api-overstock-offer-detail",
    ),
    path(
        "overstock-offers/<int:pk>/take-back/",
        OverstockOfferTakeBackApi.as_view(),
        name="api-overstock-offer-take-back",
    ),
    path(
        "overstock-offers/<int:pk>/leave/",
        OverstockOfferLeaveApi.as_view(),
        name="api-overstock-offer-leave",
    ),
]
