from django.urls import path

from .compliance import ListingComplianceApi
from .views import (
    CategoryDetailApi,
    CategoryListApi,
    ListingDetailApi,
    ListingListApi,
    OverseasStockReportApi,
    PriceRoundAcceptCounterApi,
    PriceRoundListCreateApi,
    PriceRoundWithdrawApi,
    ProductDetailApi,
    ProductImageApi,
    ProductListApi,
    TenderBidApi,
    TenderDetailApi,
    TenderListApi,
)

urlpatterns = [
    path("categories/", CategoryListApi.as_view(), name="api-category-list"),
    path("categories/<int:pk>/", CategoryDetailApi.as_view(), name="api-category-detail"),
    path("products/", ProductListApi.as_view(), name="api-product-list"),
    path("products/<int:pk>/", ProductDetailApi.as_view(), name="api-product-detail"),
    path(
        "products/<int:pk>/images/<int:image_id>/<str:variant>/",
        ProductImageApi.as_view(),
        name="api-product-image",
    ),
    path("listings/", ListingListApi.as_view(), name="api-listing-list"),
    path("listings/<int:pk>/", ListingDetailApi.as_view(), name="api-listing-detail"),
    path(
        "listings/<int:pk>/compliance/",
        ListingComplianceApi.as_view(),
        name="api-listing-compliance",
    ),
    path(
        "listings/<int:pk>/overseas-stock/",
        OverseasStockReportApi.as_view(),
        name="api-listing-overseas-stock",
    ),
    path(
        "listings/<int:pk>/price-rounds/",
        PriceRoundListCreateApi.as_view(),
        name="api-listing-price-rounds",
    ),
    path(
        "listings/<int:pk>/price-rounds/accept-counter/",
        PriceRoundAcceptCounterApi.as_view(),
        name="api-listing-price-rounds-accept-counter",
    ),
    path(
        "listings/<int:pk>/price-rounds/withdraw/",
        PriceRoundWithdrawApi.as_view(),
        name="api-listing-price-rounds-withdraw",
    ),
    path("tenders/", TenderListApi.as_view(), name="api-tender-list"),
    path("tenders/<int:pk>/", TenderDetailApi.as_view(), name="api-tender-detail"),
    path("tenders/<int:pk>/bid/", TenderBidApi.as_view(), name="api-tender-bid"),
]
