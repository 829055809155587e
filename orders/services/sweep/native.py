"""The PostgreSQL sweep: one scan finds every order with something due (a reminder or a tier);
batches of those ids are then locked, re-checked and settled, one short transaction each."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.models import WebhookEndpoint
from suppliers.services.ledger.posting import PostingQuery, ledger_post_many

from ...models import JitOrder
from ...rules import Rules
from .reminders import remind_locked
from .select import (
    CANDIDATES_SQL,
    any_due,
    candidate_params,
    reminder_due,
    reminders,
    shipped_at,
)
from .sql import PENALTY_EVENT, Slot, assess_statement, bind, penalty_postings

if TYPE_CHECKING:
    from . import SweepResult

logger = logging.getLogger(__name__)


class PgSweep:
    CURSOR = "jit_sweep_due"

    def __init__(self, now: datetime, r: Rules, result: SweepResult, size: int) -> None:
        self.now, self.r, self.result, self.size = now, r, result, size
        self.any_due = any_due(now, r)
        self.reminder_due = Q(pk__in=[])
        for field, after, _label in reminders(r):
            self.reminder_due |= reminder_due(now, field, after, r)
        self.wanted = self.any_due | self.reminder_due
        self.statement = assess_statement(now, r)

    def run(self) -> None:
        due_sql, due_params = bind(CANDIDATES_SQL, candidate_params(self.now, self.r))
        with connection.cursor() as cursor:
            # A holdable cursor: the ids are computed by one scan when its transaction commits
            # and kept by the server, so the batches' own commits do not close it, and this
            # process holds one batch of ids at a time however many are due.
            with transaction.atomic():
                cursor.execute("SET LOCAL jit = off")  # LLVM compiling costs more than it saves
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1")  # all rows: a plain scan
                cursor.execute(
                    f"DECLARE {self.CURSOR} NO SCROLL CURSOR WITH HOLD FOR {due_sql}", due_params
                )
            try:
                while True:
                    cursor.execute(f"FETCH FORWARD {int(self.size)} FROM {self.CURSOR}")
                    ids = [row[0] for row in cursor.fetchall()]
                    if not ids:
                        break
                    self._batch(ids)
            finally:
                try:
                    cursor.execute(f"CLOSE {self.CURSOR}")
                except DatabaseError:
                    # The session or its transaction is gone, and the cursor with it.
                    logger.warning("could not close the sweep's cursor", exc_info=True)

    def _batch(self, candidates: list[int]) -> None:
        """One transaction: lock what is still due among `candidates` (skipping orders another
        transaction holds), send its reminders, assess its tiers, and last post the entries
        through the ledger, which locks the suppliers only from then to the commit."""
        now, result = self.now, self.result
        with transaction.atomic():
            with connection.cursor() as cursor:
                # LLVM compiling costs more than these plans run; the evidence needs ISO dates.
                cursor.execute("SET LOCAL jit = off; SET LOCAL DateStyle = 'ISO'")
            locked = list(
                JitOrder.objects.annotate(shipped_time=shipped_at())
                .filter(
                    RawSQL(
                        '"orders_jitorder"."id" = ANY(%s)',
                        [candidates],
                        output_field=BooleanField(),
                    ),
                    self.wanted,
                )
                .annotate(
                    tier_due=ExpressionWrapper(self.any_due, output_field=BooleanField()),
                    reminder_due=ExpressionWrapper(self.reminder_due, output_field=BooleanField()),
                )
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("id")
                .values_list("id", "tier_due", "reminder_due")
            )
            if not locked:
                return
            to_remind = [order_id for order_id, _tier, remind in locked if remind]
            if to_remind:
                result.reminders += remind_locked(to_remind, now, self.r)
            ids = [order_id for order_id, tier_due, _remind in locked if tier_due]
            if not ids:
                return
            penalties, stockouts, entries, deliveries = self._assess(ids)
            if deliveries:
                from marketplace.tasks import dispatch_webhooks

                enqueue_on_commit(dispatch_webhooks)
            sql, params = penalty_postings(entries)
            posted = ledger_post_many(PostingQuery(sql, params), actor=None, posted_at=now)
        result.penalties += penalties
        result.amount -= posted.amount
        result.stockouts += stockouts
        result.paused_suppliers += posted.paused

    def _assess(self, ids: list[int]) -> tuple[int, int, tuple[str, str, str, str], int]:
        """The statement for these locked orders: (penalties, stockouts, the entries to post as
        PENALTY_POSTINGS_SQL takes them, deliveries)."""
        sql, template = self.statement
        wanted = [
            e.pk
            for e in WebhookEndpoint.objects.filter(is_active=True, client__is_active=True).only(
                "id", "event_kinds"
            )
            if e.wants(PENALTY_EVENT)
        ]
        per_batch: dict[str, Any] = {
            "ids": ids,
            "recorded_at": timezone.now(),
            "endpoints": wanted,
        }
        params = [per_batch[p.name] if isinstance(p, Slot) else p for p in template]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            penalties, stockouts, _orders, _events, deliveries, *entries = cursor.fetchone()
        return penalties, stockouts, (entries[0], entries[1], entries[2], entries[3]), deliveries
