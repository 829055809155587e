from __future__ import annotations

import django_filters

from marketplace.api.filters import DateTimeFilter, IdFilter
from orders.models import JitOrder, Penalty


class JitOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=JitOrder.Status.choices,
        label="A state; `awaiting_shipment` is the supplier's to-ship queue, oldest (most "
        "urgent) first",
    )
    ordered_after = DateTimeFilter(
        field_name="ordered_at", lookup_expr="gte", label="Ordered at or after (ISO 8601)"
    )
    ordered_before = DateTimeFilter(
        field_name="ordered_at", lookup_expr="lt", label="Ordered before (ISO 8601)"
    )
    # Plain numbers, not model choices: looking the id up would tell a supplier user which other
    # suppliers and listings exist. The rows are scoped to the caller before these apply.
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff and integrators)")
    listing = IdFilter(field_name="listing_id", label="Listing id")
    external_id = django_filters.CharFilter(label="The storefront's order reference")

    class Meta:
        model = JitOrder
        fields = ["status", "ordered_after", "ordered_before", "supplier", "listing", "external_id"]


class PenaltyFilter(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Penalty.Tier.choices)
    status = django_filters.ChoiceFilter(choices=Penalty.Status.choices)
    order = IdFilter(field_name="order_id", label="JIT order id")
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")
    assessed_after = DateTimeFilter(
        field_name="assessed_at", lookup_expr="gte", label="Assessed at or after (ISO 8601)"
    )
    assessed_before = DateTimeFilter(
        field_name="assessed_at", lookup_expr="lt", label="Assessed before (ISO 8601)"
    )

    class Meta:
        model = Penalty
        fields = ["tier", "status", "order", "supplier", "assessed_after", "assessed_before"]
