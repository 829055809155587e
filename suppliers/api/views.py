from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import generics

from marketplace.api.permissions import HasScope
from suppliers.models import Supplier
from suppliers.selectors import supplier_list_visible_to

from .filters import SupplierFilter
from .serializers import SupplierOutput


class SupplierApiBase(generics.GenericAPIView[Supplier]):
    permission_classes = [HasScope]
    serializer_class = SupplierOutput

    def get_queryset(self) -> QuerySet[Supplier]:
        return supplier_list_visible_to(self.request.user)  # type: ignore[arg-type]


class SupplierListApi(SupplierApiBase, generics.ListAPIView[Supplier]):
    """Suppliers the caller may see: all of them for integrators and staff, its own for a
    supplier user."""

    filterset_class = SupplierFilter


class SupplierDetailApi(SupplierApiBase, generics.RetrieveAPIView[Supplier]):
    pass
