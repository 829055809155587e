"""Late evidence (SPEC, "Late evidence"): a carrier's first scan may arrive after the sweep has
judged an order unshipped. The first scan is the time of shipment, so the penalties of every tier
it escapes are given back: the penalty marked reversed with its reason, the order's running
total lowered (a reversed penalty no longer counts toward the cap), an `order.penalty_reversed`
event (the supplier's notification and a webhook), and a `penalty_reversal` entry per penalty,
all posted at once, last, through the ledger's one posting service (which also resumes JIT when
the deposit is back at the minimum).

Locks, in the order every other writer takes them: the orders (the caller holds them, as the
sweep holds its batch), then the penalties, then (in the posting, as late as it can be) the
suppliers in id order.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from marketplace.states import transition

from ..models import PENALTY_MACHINE, Appeal, JitOrder, Penalty
from ..rules import Rules, rules

# Penalties that still stand, the ones a late scan may reverse: a waived or reversed one has been
# given back already.
STANDING = sorted(PENALTY_MACHINE.sources(Penalty.Status.REVERSED))


def penalty_uncount(order_id: int, penalty: Penalty) -> None:
    """Take a penalty that no longer stands out of the order's running total (`penalty_total`,
    the penalties standing), which the 5x cap is computed from. The caller holds the order."""
    JitOrder.objects.filter(pk=order_id).update(
        penalty_total=Greatest(F("penalty_total") - penalty.amount, Value(Decimal("0.00")))
    )


def _deadlines(order: JitOrder, r: Rules) -> dict[str, datetime]:
    """The deadline each tier judges, for the tiers a shipment time can escape. A stockout the
    supplier declared is its own word, not a deadline: only the 72 h one is escaped."""
    deadlines: dict[str, datetime] = {
        Penalty.Tier.LATE_24H: order.ordered_at + r.ship_within,
        Penalty.Tier.LATE_48H: order.ordered_at + r.late_after,
    }
    if order.stockout_declared_at is None:
        deadlines[Penalty.Tier.STOCKOUT] = order.ordered_at + r.stockout_after
    return deadlines


def penalties_reverse_escaped(orders: list[JitOrder], *, actor: User | None) -> list[Penalty]:
    """Reverse the standing penalties of the tiers these orders' first scans escape (shipped at
    or before the tier's deadline, as the sweep judges it). The caller holds the orders' locks
    in its transaction. Idempotent: a reversed penalty no longer stands."""
    from suppliers.services.ledger import penalty_reversal
    from suppliers.services.ledger.posting import ledger_post_many

    r = rules()
    escaped: dict[int, tuple[JitOrder, dict[str, datetime]]] = {}
    for order in orders:
        if order.first_scan_at is None:
            continue
        tiers = {
            tier: deadline
            for tier, deadline in _deadlines(order, r).items()
            if order.first_scan_at <= deadline
        }
        if tiers:
            escaped[order.pk] = (order, tiers)
    if not escaped:
        return []
    penalties = [
        penalty
        for penalty in Penalty.objects.select_for_update(of=("self",))
        .filter(order_id__in=escaped, status__in=STANDING)
        .select_related("ledger_entry")
        .order_by("pk")
        if penalty.tier in escaped[penalty.order_id][1]
    ]
    if not penalties:
        return []
    now = timezone.now()
    reversals = []
    for penalty in penalties:
        order, tiers = escaped[penalty.order_id]
        scanned = order.first_scan_at
        assert scanned is not None  # escaped only holds scanned orders
        deadline = tiers[penalty.tier]
        reason = (
            f"Carrier's first scan {scanned.isoformat()} is before the deadline "
            f"{deadline.isoformat()}: {Penalty.Tier(penalty.tier).label} does not apply."
        )
        transition(
            penalty,
            PENALTY_MACHINE,
            Penalty.Status.REVERSED,
            actor=actor,
            reason=reason[:300],
            changes={"reversed_at": now, "reversal_reason": reason[:300]},
            payload={
                "order": order.pk,
                "tier": penalty.tier,
                "amount": str(penalty.amount),
                "first_scan_at": scanned.isoformat(),
                "deadline": deadline.isoformat(),
            },
        )
        penalty_uncount(order.pk, penalty)
        # An appeal still waiting has nothing left to decide.
        # The words are the penalty's (its status and reversal reason); the doors render them.
        Appeal.objects.filter(penalty=penalty, decision="").update(
            decision=Appeal.Decision.WAIVED, decided_at=now
        )
        if penalty.ledger_entry is not None:
            reversals.append(penalty_reversal(penalty.ledger_entry, memo=""))
    ledger_post_many(reversals, actor=actor)
    return penalties
