import django_filters
from django.db.models import Q, QuerySet

from suppliers.models import Supplier


class SupplierFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(
        method="filter_name", label="Part of the Chinese or English name"
    )

    class Meta:
        model = Supplier
        fields = ["status"]

    def filter_name(
        self, queryset: QuerySet[Supplier], name: str, value: str
    ) -> QuerySet[Supplier]:
        return queryset.filter(Q(name_en__icontains=value) | Q(name_zh__icontains=value))
