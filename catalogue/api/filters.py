from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from catalogue.models import Listing, Market, Product, Tender
from catalogue.selectors import category_subtree, sellable_in
from marketplace.api.filters import IdFilter


class CategorySubtreeFilter(IdFilter):
    """A category id: rows in that category or any category below it."""

    def filter(self, queryset: QuerySet[Any], value: Any) -> QuerySet[Any]:
        if value in (None, ""):
            return queryset
        return queryset.filter(**{f"{self.field_name}__in": category_subtree(int(value))})


class ProductFilter(django_filters.FilterSet):
    category = CategorySubtreeFilter(
        field_name="category_id", label="A category id (its subcategories included)"
    )
    hs_code = django_filters.CharFilter(
        field_name="hs_code", lookup_expr="startswith", label="HS code or its leading digits"
    )
    search = django_filters.CharFilter(
        method="filter_search", label="Part of the English or Chinese title"
    )

    class Meta:
        model = Product
        fields = ["category", "hs_code", "search"]

    def filter_search(
        self, queryset: QuerySet[Product], name: str, value: str
    ) -> QuerySet[Product]:
        return queryset.filter(Q(title_en__icontains=value) | Q(title_zh__icontains=value))


class ListingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Listing.Status.choices)
    mode = django_filters.ChoiceFilter(choices=Listing.Mode.choices)
    is_jit = django_filters.BooleanFilter()
    # A plain number, not a model choice: looking the id up would tell a supplier user which
    # other suppliers exist. The rows are scoped to the caller before this filter applies.
    supplier = IdFilter(field_name="supplier_id", label="Supplier id")
    category = CategorySubtreeFilter(
        field_name="product__category_id", label="A category id (its subcategories included)"
    )
    market = django_filters.ChoiceFilter(
        choices=Market.choices,
        method="filter_market",
        label="Sellable in this market now (live, priced there, and stocked there if semi managed)",
    )

    class Meta:
        model = Listing
        fields = ["status", "mode", "is_jit", "supplier", "category", "market"]

    def filter_market(
        self, queryset: QuerySet[Listing], name: str, value: str
    ) -> QuerySet[Listing]:
        return queryset.filter(sellable_in(value))


class TenderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Tender.Status.choices)

    class Meta:
        model = Tender
        fields = ["status"]
