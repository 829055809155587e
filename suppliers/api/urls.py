from django.urls import path

from .views import SupplierDetailApi, SupplierListApi

urlpatterns = [
    path("suppliers/", SupplierListApi.as_view(), name="api-supplier-list"),
    path("suppliers/<int:pk>/", SupplierDetailApi.as_view(), name="api-supplier-detail"),
]
