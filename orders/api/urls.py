from django.urls import include, path

from .views import (
    JitOrderCancelApi,
    JitOrderDetailApi,
    JitOrderListCreateApi,
    JitOrderShipApi,
    JitOrderShipManyApi,
    JitOrderStockoutApi,
    PenaltyAppealApi,
    PenaltyDetailApi,
    PenaltyListApi,
    TrackingScanCreateApi,
)

urlpatterns = [
    path("jit-orders/", JitOrderListCreateApi.as_view(), name="api-jit-order-list"),
    path("jit-orders/ship/", JitOrderShipManyApi.as_view(), name="api-jit-order-ship-many"),
    path("jit-orders/<int:pk>/", JitOrderDetailApi.as_view(), name="api-jit-order-detail"),
    path("jit-orders/<int:pk>/ship/", JitOrderShipApi.as_view(), name="api-jit-order-ship"),
    path(
        "jit-orders/<int:pk>/stockout/",
        JitOrderStockoutApi.as_view(),
        name="api-jit-order-stockout",
    ),
    path("jit-orders/<int:pk>/cancel/", JitOrderCancelApi.as_view(), name="api-jit-order-cancel"),
    path("tracking/scans/", TrackingScanCreateApi.as_view(), name="api-tracking-scan-create"),
    path("penalties/", PenaltyListApi.as_view(), name="api-penalty-list"),
    path("penalties/<int:pk>/", PenaltyDetailApi.as_view(), name="api-penalty-detail"),
    path("penalties/<int:pk>/appeal/", PenaltyAppealApi.as_view(), name="api-penalty-appeal"),
    path("", include("orders.api.consumer")),
]
