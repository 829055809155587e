"""What the consignment inventory API reads and writes. Output serializers only read; input
serializers only parse, and the views hand the values to a service (logistics.services)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from logistics.models import (
    InboundLine,
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupSlot,
    StockingOrder,
    StockPosition,
    Warehouse,
)
from logistics.selectors import AGE_BUCKETS
from logistics.services.inbound.common import MAX_UNITS
from marketplace.api.fields import BlankAsNullChoiceField, id_field

# A cap on one request's size, not a business rule: a shipment notice lists the listing of its
# stocking order, perhaps split over a few cartons.
MAX_SHIPMENT_LINES = 100


# --- Warehouses -------------------------------------------------------------------------------


class WarehouseOutput(serializers.ModelSerializer):
    market = BlankAsNullChoiceField(
        choices=Warehouse._meta.get_field("market").choices or [],
        read_only=True,
        help_text="The market it serves; null for a warehouse in China.",
    )

    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "kind", "market", "address", "is_active"]
        read_only_fields = fields


class WarehouseRefOutput(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name"]
        read_only_fields = fields


# --- Stocking orders --------------------------------------------------------------------------


class StockingOrderOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    product_title = serializers.CharField(
        source="listing.product.title_en", read_only=True, help_text="The product's English title."
    )
    warehouse = WarehouseRefOutput(read_only=True, help_text="Where the stock is to be sent.")
    status_reason = serializers.CharField(
        read_only=True, help_text="Why it was declined, lapsed or cancelled."
    )
    expires_at = serializers.DateTimeField(
        read_only=True, help_text="Unshipped by then, the order lapses (14 days; urgent 7)."
    )

    class Meta:
        model = StockingOrder
        fields = [
            "id",
            "supplier",
            "listing",
            "product_title",
            "warehouse",
            "quantity",
            "urgent",
            "status",
            "status_reason",
            "issued_at",
            "expires_at",
        ]
        read_only_fields = fields


class DeclineInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, allow_blank=True, help_text="Why the supplier cannot stock it (required)."
    )


# --- Pickup slots -----------------------------------------------------------------------------


class PickupSlotOutput(serializers.ModelSerializer):
    cluster = serializers.IntegerField(source="cluster_id", read_only=True)
    cluster_name = serializers.CharField(source="cluster.name", read_only=True)
    warehouse = WarehouseRefOutput(read_only=True, help_text="Where the run delivers to.")

    class Meta:
        model = PickupSlot
        fields = ["id", "cluster", "cluster_name", "date", "window", "warehouse"]
        read_only_fields = fields


# --- Inbound shipments ------------------------------------------------------------------------


class InspectionOutput(serializers.ModelSerializer):
    letter = serializers.CharField(read_only=True, help_text="ISO 2859-1 sample size code letter.")
    sample_size = serializers.IntegerField(read_only=True, help_text="Units inspected.")
    accept_number = serializers.IntegerField(
        read_only=True, help_text="Ac: at most this many defectives and the lot is accepted."
    )
    reject_number = serializers.IntegerField(
        read_only=True, help_text="Re: this many defectives or more and the lot is rejected."
    )
    defects = serializers.IntegerField(read_only=True, help_text="Defectives found in the sample.")
    severity = serializers.CharField(
        read_only=True, help_text="`normal` or `tightened` inspection (the switching rules)."
    )
    severity_reason = serializers.CharField(read_only=True, help_text="Why this severity applies.")

    class Meta:
        model = Inspection
        fields = [
            "result",
            "lot_size",
            "aql",
            "severity",
            "severity_reason",
            "letter",
            "sample_size",
            "accept_number",
            "reject_number",
            "defects",
            "resubmitted",
            "notes",
            "inspected_at",
        ]
        read_only_fields = fields


class InboundLineOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    received = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Units counted on arrival; null until counted."
    )
    damaged = serializers.IntegerField(read_only=True, help_text="Of those, units damaged.")
    over_short = serializers.IntegerField(
        source="discrepancy",
        read_only=True,
        allow_null=True,
        help_text="Units over (+) or short (-) of what was declared; null until counted.",
    )
    inspection = serializers.SerializerMethodField(
        help_text="The lot's inspection, once inspected."
    )

    class Meta:
        model = InboundLine
        fields = [
            "id",
            "listing",
            "declared",
            "received",
            "damaged",
            "over_short",
            "counted_at",
            "inspection",
        ]
        read_only_fields = fields

    @extend_schema_field(InspectionOutput(allow_null=True))
    def get_inspection(self, line: InboundLine) -> dict[str, Any] | None:
        try:
            inspection = line.inspection
        except ObjectDoesNotExist:
            return None
        return InspectionOutput(inspection).data


class InboundShipmentOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    stocking_order = serializers.IntegerField(source="stocking_order_id", read_only=True)
    warehouse = WarehouseRefOutput(read_only=True)
    pickup_slot = PickupSlotOutput(
        read_only=True, allow_null=True, help_text="The circular pickup run, once assigned."
    )
    lines = InboundLineOutput(many=True, read_only=True)

    class Meta:
        model = InboundShipment
        fields = [
            "id",
            "supplier",
            "stocking_order",
            "warehouse",
            "status",
            "carrier",
            "waybill",
            "pickup_requested",
            "pickup_slot",
            "created_at",
            "status_changed_at",
            "lines",
        ]
        read_only_fields = fields


class InboundLineInput(serializers.Serializer):
    listing = id_field(help_text="The stocking order's listing.")
    declared = serializers.IntegerField(
        min_value=1, max_value=MAX_UNITS, help_text="Units in this line."
    )


class InboundShipmentCreateInput(serializers.Serializer):
    stocking_order = id_field(help_text="The accepted stocking order answered.")
    lines = InboundLineInput(
        many=True,
        required=False,
        allow_empty=False,
        max_length=MAX_SHIPMENT_LINES,  # type: ignore[call-arg]  # ListSerializer's, passed through
        help_text=f"At most {MAX_SHIPMENT_LINES}; left out, the whole stocking order.",
    )
    carrier = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="Carrier's name."
    )
    waybill = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default="", help_text="Its waybill."
    )
    pickup = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Ask for a circular pickup instead of a carrier (a factory in a served "
        "industrial cluster only).",
    )


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why (required: the supplier reads it; without it, 422 `reason_required`).",
    )


# --- Stock ------------------------------------------------------------------------------------


class StockPositionOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    product_title = serializers.CharField(source="listing.product.title_en", read_only=True)
    warehouse = WarehouseRefOutput(read_only=True)
    on_hand = serializers.IntegerField(read_only=True, help_text="Units in the warehouse.")
    available = serializers.IntegerField(read_only=True, help_text="Units free to sell.")
    reserved = serializers.IntegerField(
        read_only=True, help_text="Units held for consumer orders not yet fulfilled."
    )
    sold = serializers.IntegerField(read_only=True, help_text="Units sold from here, ever.")
    oldest_received_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the oldest unit still here was received (first in, first out).",
    )
    age_days = serializers.SerializerMethodField(
        help_text="Days since then; null with nothing left."
    )

    class Meta:
        model = StockPosition
        fields = [
            "id",
            "supplier",
            "listing",
            "product_title",
            "warehouse",
            "on_hand",
            "available",
            "reserved",
            "sold",
            "oldest_received_at",
            "age_days",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_age_days(self, position: StockPosition) -> int | None:
        oldest = getattr(position, "oldest_received_at", None)
        if oldest is None:
            return None
        now = self.context.get("now") or timezone.now()
        return (now - oldest).days


class AgeBucketOutput(serializers.Serializer):
    low = serializers.IntegerField(help_text="From this many days old.")
    high = serializers.IntegerField(allow_null=True, help_text="To this many; null: no limit.")
    units = serializers.IntegerField(help_text="Units still in stock of that age.")


class StockAgeingOutput(serializers.Serializer):
    supplier = serializers.IntegerField()
    as_of = serializers.DateTimeField()
    buckets = AgeBucketOutput(
        many=True,
        help_text="Ages in days since receipt: "
        + ", ".join(f"{low}-{high}" if high else f"over {low - 1}" for low, high in AGE_BUCKETS)
        + ".",
    )


# --- Overstock offers -------------------------------------------------------------------------


class OverstockOfferOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    listing = serializers.IntegerField(source="lot.position.listing_id", read_only=True)
    product_title = serializers.CharField(source="lot.position.listing.product.title_en")
    warehouse = serializers.IntegerField(source="lot.position.warehouse_id", read_only=True)
    received_at = serializers.DateTimeField(
        source="lot.received_at", read_only=True, help_text="When the units were received."
    )
    quantity = serializers.IntegerField(read_only=True, help_text="Units offered back.")
    markdown_note = serializers.CharField(
        read_only=True, help_text="The markdown an operator decided, for units left to it."
    )

    class Meta:
        model = OverstockOffer
        fields = [
            "id",
            "supplier",
            "listing",
            "product_title",
            "warehouse",
            "received_at",
            "quantity",
            "status",
            "offered_at",
            "decided_at",
            "markdown_note",
        ]
        read_only_fields = fields
