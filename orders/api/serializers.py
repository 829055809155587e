"""What the JIT orders API reads and writes. Output serializers only read; input serializers only
parse, and the views hand the values to a service (orders.services.orders)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.fields import BlankAsNullChoiceField, id_field
from marketplace.markets import Market
from orders.models import Appeal, JitOrder, Penalty

# A cap on one request's size, not a business rule: a consumer order is a handful of units, and
# a supplier ships a day's orders in a few calls.
MAX_SHIP_MANY = 100
# Longer than any waybill (SF and 15 digits), with room for spaces the service strips.
WAYBILL_MAX_LENGTH = 40

_datetime = serializers.DateTimeField()


def _moment(value: datetime) -> str:
    # A string in the format of the model's own datetime fields: the body of a created order is
    # also stored, in a JSON column, for Idempotency-Key replays.
    shown: str = _datetime.to_representation(value)
    return shown


# --- Orders -----------------------------------------------------------------------------------


class JitOrderOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    deadline_24h = serializers.SerializerMethodField(
        help_text="Ship by then (the carrier's first scan, else the supplier's record of it), "
        "or pay 1x goods value."
    )
    deadline_48h = serializers.SerializerMethodField(
        help_text="Shipped later than this, the lateness penalty is 5x goods value in total."
    )
    shipped_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="The official time of shipment: the carrier's first scan when known, else "
        "when the supplier recorded it.",
    )

    class Meta:
        model = JitOrder
        fields = [
            "id",
            "external_id",
            "listing",
            "supplier",
            "status",
            "quantity",
            "unit_supply_price",
            "goods_value",
            "ordered_at",
            "deadline_24h",
            "deadline_48h",
            "waybill",
            "shipment_recorded_at",
            "first_scan_at",
            "shipped_at",
            "received_at",
            "received_quantity",
            "inspected_at",
            "defect_notes",
            "stockout_declared_at",
            "stockout_reason",
            "cancelled_at",
            "penalty_total",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_deadline_24h(self, order: JitOrder) -> str:
        return _moment(order.deadline_24h)

    @extend_schema_field(serializers.DateTimeField())
    def get_deadline_48h(self, order: JitOrder) -> str:
        return _moment(order.deadline_48h)


class JitOrderCreateInput(serializers.Serializer):
    listing = id_field(help_text="The JIT listing's id.")
    quantity = serializers.IntegerField(
        min_value=1,
        max_value=settings.JIT_MAX_UNITS_PER_ORDER,
        help_text="Units (at least 1, at most the setting JIT_MAX_UNITS_PER_ORDER).",
    )
    external_id = serializers.CharField(
        max_length=64, help_text="The storefront's own order reference."
    )
    market = serializers.ChoiceField(
        choices=Market.choices,
        required=False,
        help_text=(
            "The market the consumer buys in: the order is refused (422 `compliance_blocked`) "
            "when the listing's compliance does not hold there. Without it, when it holds in "
            "none of the markets the listing is priced in."
        ),
    )


class ShipInput(serializers.Serializer):
    waybill = serializers.CharField(
        max_length=WAYBILL_MAX_LENGTH,
        help_text="The SF Express waybill: SF and 12 to 15 digits (or 12 digits on older labels).",
    )


class ShipManyItemInput(serializers.Serializer):
    id = id_field(help_text="The JIT order's id.")
    waybill = serializers.CharField(
        max_length=WAYBILL_MAX_LENGTH,
        help_text="Its SF Express waybill (several may share one).",
    )


class ShipManyInput(serializers.Serializer):
    orders = ShipManyItemInput(
        many=True,
        allow_empty=False,
        max_length=MAX_SHIP_MANY,  # type: ignore[call-arg]  # ListSerializer's, passed through
        help_text=f"At most {MAX_SHIP_MANY} orders, each once: all ship, or none.",
    )

    def validate_orders(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [row["id"] for row in rows]
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("Each order may appear once.")
        return rows


class StockoutInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, allow_blank=True, help_text="Why the goods cannot be supplied (required)."
    )


class JitOrderCancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300,
        help_text="Why the storefront cancels (e.g. the consumer cancelled): kept in the order's "
        "history.",
    )


# --- Carrier scans ----------------------------------------------------------------------------


class ScanInput(serializers.Serializer):
    waybill = serializers.CharField(
        max_length=WAYBILL_MAX_LENGTH, help_text="The SF Express waybill scanned."
    )
    scanned_at = serializers.DateTimeField(help_text="When the carrier scanned it (ISO 8601).")
    event = serializers.CharField(
        max_length=40,
        help_text="The carrier's event code (e.g. `picked_up`). Any scan counts: the earliest "
        "is the official time of shipment.",
    )


class ScanOutput(serializers.Serializer):
    order = serializers.IntegerField(
        source="pk", help_text="The JIT order with this waybill (the first, if several)."
    )
    orders = serializers.SerializerMethodField(
        help_text="Every JIT order shipped under this waybill."
    )
    waybill = serializers.CharField()
    first_scan_at = serializers.DateTimeField(help_text="The earliest scan received so far.")
    shipped_at = serializers.DateTimeField(help_text="The official time of shipment.")

    def get_orders(self, order: JitOrder) -> list[int]:
        return [o.pk for o in self.context.get("orders", [order])]


# --- Penalties --------------------------------------------------------------------------------


class AppealOutput(serializers.ModelSerializer):
    decision = BlankAsNullChoiceField(
        choices=Appeal.Decision.choices, read_only=True, help_text="Null until decided."
    )

    class Meta:
        model = Appeal
        fields = ["reason", "submitted_at", "decision", "decision_reason", "decided_at"]
        read_only_fields = fields


class PenaltyOutput(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    rule = serializers.CharField(
        source="get_tier_display", read_only=True, help_text="The rule of the tier, for people."
    )
    multiple = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        read_only=True,
        help_text="What the rule asks, as a multiple of the order's goods value.",
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="CNY taken from the deposit (after the cap of 5x goods value per order).",
    )
    evidence = serializers.DictField(
        read_only=True,
        help_text="What the penalty was computed from: order time, carrier scans, inspection "
        "result, stockout.",
    )
    appeal_until = serializers.SerializerMethodField(
        help_text="The supplier may appeal until then."
    )
    appeal = serializers.SerializerMethodField(help_text="The supplier's appeal, if any.")

    class Meta:
        model = Penalty
        fields = [
            "id",
            "order",
            "supplier",
            "tier",
            "rule",
            "rule_version",
            "multiple",
            "amount",
            "evidence",
            "assessed_at",
            "status",
            "appeal_until",
            "appeal",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField())
    def get_appeal_until(self, penalty: Penalty) -> str:
        return _moment(penalty.appeal_until)

    @extend_schema_field(AppealOutput(allow_null=True))
    def get_appeal(self, penalty: Penalty) -> dict[str, Any] | None:
        try:
            appeal = penalty.appeal
        except ObjectDoesNotExist:
            return None
        return AppealOutput(appeal).data


class AppealInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=5000, allow_blank=True, help_text="Why the penalty is wrong (required)."
    )
