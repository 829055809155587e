"""A penalty's evidence (the JSON the sweep wrote when it assessed it) as operators read it: one
labelled row per fact, times in the reader's zone, money as money, codes as words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from marketplace.formatting import EMPTY, money, when

from .models import JitOrder, Penalty

# In the order a reader follows the case: what rule, when ordered, the deadlines, what happened,
# then the sums.
LABELS = {
    "rule": _("Rule"),
    "rule_version": _("Rule version"),
    "ordered_at": _("Ordered"),
    "deadline_24h": _("Deadline (24 h)"),
    "deadline_48h": _("Deadline (48 h)"),
    "shipment_recorded_at": _("Shipment recorded by the supplier"),
    "first_scan_at": _("Carrier's first scan"),
    "shipped_at": _("Time of shipment (first scan, else recorded)"),
    "stockout_declared_at": _("Stockout declared"),
    "inspected_at": _("Inspected"),
    "defect_notes": _("Defect notes"),
    "status": _("Order status then"),
    "goods_value": _("Goods value"),
    "multiple": _("Multiple of goods value"),
    "penalties_before": _("Penalties on the order before"),
    "amount": _("Amount"),
    "assessed_at": _("Assessed"),
}
MONEY_KEYS = {"goods_value", "penalties_before", "amount"}


@dataclass(frozen=True)
class EvidenceRow:
    key: str
    label: str
    value: str
    # The moment itself for a time (the portal writes it in its own zone and format), else None.
    at: datetime | None = None


def _is_time(key: str) -> bool:
    return key.endswith("_at") or key.startswith("deadline")


def _moment(key: str, value: Any) -> datetime | None:
    if not (_is_time(key) and isinstance(value, str)):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def times_goods_value(value: Any) -> str:
    """A penalty's multiple as people write it: Decimal("5.00") -> "5" and a multiplication sign."""
    try:
        return f"{Decimal(str(value)).normalize():f}\u00d7"  # the multiplication sign
    except InvalidOperation:
        return str(value)


def _shown(key: str, value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if _is_time(key):
        return when(value) if isinstance(value, str) else str(value)
    if key in MONEY_KEYS:
        shown = money(value)
        return shown if shown != EMPTY else str(value)
    if key == "multiple":
        return times_goods_value(value)
    if key == "rule" and value in Penalty.Tier.values:
        return str(Penalty.Tier(value).label)
    if key == "status" and value in JitOrder.Status.values:
        return str(JitOrder.Status(value).label)
    return str(value)


def evidence_rows(evidence: dict[str, Any] | None) -> list[EvidenceRow]:
    """Every key is shown: the known ones labelled in order, any other by its name after them.
    The admin shows `value`; the portal the same rows, a time from `at` in China time."""
    evidence = evidence or {}
    keys = [key for key in LABELS if key in evidence]
    keys += sorted(key for key in evidence if key not in LABELS)
    return [
        EvidenceRow(
            key,
            str(LABELS.get(key, key)),
            _shown(key, evidence[key]),
            _moment(key, evidence[key]),
        )
        for key in keys
    ]


def evidence_table(evidence: dict[str, Any] | None) -> str:
    rows = evidence_rows(evidence)
    if not rows:
        return EMPTY
    body = format_html_join(
        "",
        '<tr data-key="{}"><th scope="row">{}</th><td>{}</td></tr>',
        ((row.key, row.label, row.value) for row in rows),
    )
    return format_html(
        '<table class="evidence" data-testid="evidence"><tbody>{}</tbody></table>', body
    )
