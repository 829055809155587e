from django.urls import path

from .views import (
    JitEnrolmentApi,
    LedgerEntryListApi,
    MeApi,
    SupplierDetailApi,
    SupplierListApi,
    TopUpCreateApi,
)

urlpatterns = [
    path("suppliers/", SupplierListApi.as_view(), name="api-supplier-list"),
    path("suppliers/<int:pk>/", SupplierDetailApi.as_view(), name="api-supplier-detail"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("me/jit-enrolment/", JitEnrolmentApi.as_view(), name="api-me-jit-enrolment"),
    path("ledger-entries/", LedgerEntryListApi.as_view(), name="api-ledger-entry-list"),
    path("top-ups/", TopUpCreateApi.as_view(), name="api-top-up-create"),
]
