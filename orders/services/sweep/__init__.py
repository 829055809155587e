"""The deadline sweep: every minute from beat and `manage.py sweep_jit_deadlines`.

It derives everything from the database and works set-based, a batch of orders at a time, one
short transaction per batch. On PostgreSQL (`native`):

1. one scan (a holdable server-side cursor, so this process holds one batch of ids at a time)
   lists the orders with anything due: a reminder, or a tier whose flag is not yet set
   (`select.CANDIDATES_SQL`);
2. per batch of those ids, one transaction: lock the ones still due (`FOR UPDATE SKIP LOCKED`,
   re-checked with the ORM conditions of `select.tier_conditions`: a second sweep running at
   the same moment takes other orders), send their reminders (`reminders`), then in one
   statement (`sql.ASSESS_SQL`) assess every due tier of every order in the table's order under
   the 5x cap, insert the penalties (a unique constraint on order and tier backs the flags)
   with their `order.penalty_assessed` events and webhook deliveries, and write the outcome back
   on the orders (`late_24h_penalized`, ..., `penalty_total`, a 72 h stockout's status); last,
   hand the penalties' entries to the ledger's one posting service
   (`suppliers.services.ledger.posting.ledger_post_many`), which locks their suppliers, posts
   the entries with their `ledger.posted` events and pauses JIT where a deposit fell below the
   minimum; commit. The suppliers stay locked only from that posting to the commit, and the
   lock is one that a storefront creating an order never waits for.

Reminders go only while the 24 h deadline is still ahead. `penalty_total` is the sum of the
penalties standing: a waived or reversed penalty is taken out of it (services.orders,
services.reversals), so the cap counts only what still stands.

A crash rolls the batch back whole; a re-run finds only what is still due. An advisory lock lets
one sweep run at a time; the row locks keep even overlapping runs apart. Other databases (the
SQLite fallback of a local test run) take the same steps through the ORM, one tier at a time
(`orm`), and post through the same service. The setting SWEEP_BATCH_SIZE sets the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ...rules import rules
from .native import PgSweep
from .orm import assess_batch
from .reminders import send_reminders
from .select import tier_conditions

ADVISORY_LOCK_KEY = 7_301_024  # any constant unique to this sweep


def batch_size() -> int:
    """Orders per transaction (setting SWEEP_BATCH_SIZE)."""
    return int(settings.SWEEP_BATCH_SIZE)


@dataclass
class SweepResult:
    penalties: int = 0
    amount: Decimal = Decimal("0")
    reminders: int = 0
    stockouts: int = 0
    paused_suppliers: int = 0
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "another sweep is running"
        return (
            f"{self.penalties} penalties ({self.amount} CNY), {self.stockouts} stockouts, "
            f"{self.reminders} reminders, JIT paused for {self.paused_suppliers} suppliers"
        )


def set_based() -> bool:
    """Whether this database takes the single-statement assessment (PostgreSQL) rather than the
    ORM's steps. The tests run both on PostgreSQL and compare them."""
    return connection.vendor == "postgresql"


def sweep_jit_deadlines(*, now: datetime | None = None) -> SweepResult:
    """Assess every penalty and send every reminder due at `now` (default: the present)."""
    now = now or timezone.now()
    r = rules()
    result = SweepResult()
    with _one_sweep_at_a_time() as mine:
        if not mine:
            result.skipped = True
            return result
        size = batch_size()
        if set_based():
            PgSweep(now, r, result, size).run()
        else:
            send_reminders(now, r, result, size)
            for tier, flag, multiple, due in tier_conditions(now, r):
                while assess_batch(tier, flag, multiple, due, now, r, result, size) == size:
                    pass
    return result


class _one_sweep_at_a_time:
    """A PostgreSQL session advisory lock: a sweep that finds another running steps aside
    (the row locks would keep them apart anyway; this spares the database the contention)."""

    def __enter__(self) -> bool:
        self.held = False
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_LOCK_KEY])
            self.held = bool(cursor.fetchone()[0])
        return self.held

    def __exit__(self, *exc: object) -> None:
        if self.held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_LOCK_KEY])
