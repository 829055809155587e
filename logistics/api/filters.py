from __future__ import annotations

import django_filters

from catalogue.models import Market
from logistics.models import (
    InboundShipment,
    OverstockOffer,
    PickupSlot,
    StockingOrder,
    StockPosition,
    Warehouse,
)
from marketplace.api.filters import IdFilter

# Plain numbers, not model choices: looking an id up would tell a supplier user which other
# suppliers, listings and warehouses exist. The rows are scoped to the caller before these apply.


class WarehouseFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Warehouse.Kind.choices)
    market = django_filters.ChoiceFilter(choices=Market.choices, label="Market (blank: China)")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Warehouse
        fields = ["kind", "market", "is_active"]


class StockingOrderFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=StockingOrder.Status.choices)
    listing = IdFilter(field_name="listing_id", label="Listing id")
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")

    class Meta:
        model = StockingOrder
        fields = ["status", "listing", "supplier"]


class InboundShipmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InboundShipment.Status.choices)
    stocking_order = IdFilter(field_name="stocking_order_id", label="Stocking order id")
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")

    class Meta:
        model = InboundShipment
        fields = ["status", "stocking_order", "supplier"]


class PickupSlotFilter(django_filters.FilterSet):
    cluster = IdFilter(field_name="cluster_id", label="Pickup cluster id")
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="On or after this day"
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lt", label="Before this day"
    )

    class Meta:
        model = PickupSlot
        fields = ["cluster", "date_after", "date_before"]


class StockPositionFilter(django_filters.FilterSet):
    listing = IdFilter(field_name="listing_id", label="Listing id")
    warehouse = IdFilter(field_name="warehouse_id", label="Warehouse id")
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")

    class Meta:
        model = StockPosition
        fields = ["listing", "warehouse", "supplier"]


class OverstockOfferFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=OverstockOffer.Status.choices)
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")

    class Meta:
        model = OverstockOffer
        fields = ["status", "supplier"]
