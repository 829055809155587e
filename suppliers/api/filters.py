from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from marketplace.api.filters import DateTimeFilter, IdFilter
from suppliers.models import Factory, LedgerEntry, Province, Supplier


class SupplierFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Supplier.Status.choices)
    jit_status = django_filters.ChoiceFilter(choices=Supplier.JitStatus.choices)
    province = django_filters.ChoiceFilter(
        choices=Province.choices,
        method="filter_province",
        label="A province where the supplier has a factory",
    )
    name = django_filters.CharFilter(
        method="filter_name", label="Part of the Chinese or English name"
    )

    class Meta:
        model = Supplier
        fields = ["status", "jit_status", "province", "name"]

    def filter_province(
        self, queryset: QuerySet[Supplier], name: str, value: str
    ) -> QuerySet[Supplier]:
        # EXISTS rather than a join: a supplier with two factories there is still one row.
        in_province = Factory.objects.filter(supplier=OuterRef("pk"), province=value)
        return queryset.filter(Exists(in_province))

    def filter_name(
        self, queryset: QuerySet[Supplier], name: str, value: str
    ) -> QuerySet[Supplier]:
        return queryset.filter(Q(name_en__icontains=value) | Q(name_zh__icontains=value))


class LedgerEntryFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LedgerEntry.Kind.choices)
    posted_after = DateTimeFilter(
        field_name="posted_at", lookup_expr="gte", label="Posted at or after (ISO 8601)"
    )
    posted_before = DateTimeFilter(
        field_name="posted_at", lookup_expr="lt", label="Posted before (ISO 8601)"
    )
    # A plain number, not a model choice: looking the id up would tell a supplier user which
    # other suppliers exist. The rows are scoped to the caller before this filter applies.
    supplier = IdFilter(
        field_name="supplier_id", label="Supplier id (staff and finance integrators)"
    )

    class Meta:
        model = LedgerEntry
        fields = ["kind", "posted_after", "posted_before", "supplier"]
