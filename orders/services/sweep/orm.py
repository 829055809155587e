"""The sweep through the ORM, for databases other than PostgreSQL (the SQLite fallback of a
local run): the same steps as the one statement of `native`, one tier at a time, in batches of
orders, one transaction each. The tests run it on PostgreSQL too and compare."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Least

from marketplace.events import NewEvent, record_events
from suppliers.models import LedgerEntry
from suppliers.services.ledger.posting import Posting, ledger_post_many

from ...models import JitOrder, Penalty
from ...rules import RULE_VERSION, Rules, cap_left
from .select import FIELDS, STOCKOUT_FAILS, candidates, shipped_at
from .sql import PENALTY_EVENT

if TYPE_CHECKING:
    from . import SweepResult

Status = JitOrder.Status


def _evidence(
    order: dict[str, Any], tier: str, now: datetime, multiple: Decimal, amount: Decimal, r: Rules
) -> dict[str, Any]:
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    return {
        "rule": tier,
        "rule_version": RULE_VERSION,
        "ordered_at": iso(order["ordered_at"]),
        "deadline_24h": iso(order["ordered_at"] + r.ship_within),
        "deadline_48h": iso(order["ordered_at"] + r.late_after),
        "first_scan_at": iso(order["first_scan_at"]),
        "shipment_recorded_at": iso(order["shipment_recorded_at"]),
        "shipped_at": iso(order["shipped_time"]),
        "status": order["status"],
        "stockout_declared_at": iso(order["stockout_declared_at"]),
        "inspected_at": iso(order["inspected_at"]),
        "defect_notes": order["defect_notes"],
        "goods_value": str(order["goods_value"]),
        "multiple": str(multiple),
        "penalties_before": str(order["penalty_total"]),
        "amount": str(amount),
        "assessed_at": now.isoformat(),
    }


def assess_batch(
    tier: str,
    flag: str,
    multiple: Decimal,
    due: Q,
    now: datetime,
    r: Rules,
    result: SweepResult,
    size: int,
) -> int:
    """One transaction: the next batch of orders due for `tier`. Returns how many it took."""
    with transaction.atomic():
        ids = list(
            candidates(flag, due)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return 0
        orders = list(
            JitOrder.objects.annotate(shipped_time=shipped_at())
            .filter(pk__in=ids)
            .order_by("id")
            .values(*FIELDS)
        )
        amounts = {
            o["id"]: max(
                Decimal("0"),
                min(multiple * o["goods_value"], cap_left(r, o["goods_value"], o["penalty_total"])),
            )
            for o in orders
        }
        JitOrder.objects.filter(pk__in=ids).update(
            **{flag: True},
            penalty_total=Least(
                F("penalty_total") + multiple * F("goods_value"), r.cap_multiple * F("goods_value")
            ),
        )
        if tier == Penalty.Tier.STOCKOUT:
            result.stockouts += JitOrder.objects.filter(
                pk__in=ids, status__in=STOCKOUT_FAILS
            ).update(status=Status.FAILED_STOCKOUT)
        # The entries through the ledger (which locks the suppliers from here to the commit),
        # then the penalties that point at them.
        order_type = ContentType.objects.get_for_model(JitOrder).pk
        charged = [o for o in orders if amounts[o["id"]] > 0]
        posted = ledger_post_many(
            [
                Posting(
                    supplier_id=o["supplier_id"],
                    kind=LedgerEntry.Kind.PENALTY,
                    amount=-amounts[o["id"]],
                    reference_type_id=order_type,
                    reference_id=str(o["id"]),
                )
                for o in charged
            ],
            actor=None,
            posted_at=now,
        )
        entry_of = {o["id"]: entry for o, entry in zip(charged, posted.entries, strict=True)}
        penalties = Penalty.objects.bulk_create(
            [
                Penalty(
                    order_id=o["id"],
                    supplier_id=o["supplier_id"],
                    tier=tier,
                    multiple=multiple,
                    amount=amounts[o["id"]],
                    rule_version=RULE_VERSION,
                    assessed_at=now,
                    evidence=_evidence(o, tier, now, multiple, amounts[o["id"]], r),
                    ledger_entry=entry_of.get(o["id"]),
                )
                for o in orders
            ]
        )
        record_events(
            NewEvent(
                PENALTY_EVENT,
                None,
                subject=p,
                supplier_id=p.supplier_id,
                payload={"order": p.order_id, "tier": tier, "amount": str(p.amount)},
            )
            for p in penalties
        )
    result.penalties += len(penalties)
    result.amount += sum(amounts.values(), Decimal("0"))
    result.paused_suppliers += posted.paused
    return len(ids)
