"""The deadline sweep: every minute from beat and `manage.py sweep_jit_deadlines`.

It derives everything from the database and works set-based, a batch of orders at a time, one
transaction per batch. On PostgreSQL:

1. one scan (a holdable server-side cursor, so this process holds one batch of ids at a time)
   lists the orders with anything due: a reminder, or a tier whose flag is not yet set;
2. per batch of those ids, one transaction: lock the ones still due (`FOR UPDATE SKIP LOCKED`,
   re-checked with the ORM conditions of `tier_conditions`: a second sweep running at the same
   moment takes other orders), send their reminders, lock their suppliers (in id order, as
   every posting does), then in one statement assess every due tier of every order in the
   table's order under the 5x cap, insert the ledger entries and the penalties (a unique
   constraint on order and tier backs the flags), write the outcome back on the orders
   (`late_24h_penalized`, ..., `penalty_total`, a 72 h stockout's status) and write the events
   with their webhook deliveries, as `record_events` would: `order.penalty_assessed` per
   penalty and, as every posting of the ledger service does, `ledger.posted` per entry with
   the balance after it; pause JIT for suppliers whose deposit fell below the minimum; commit.

Reminders go only while the 24 h deadline is still ahead. `penalty_total` is the sum of the
penalties standing: a waived or reversed penalty is taken out of it (services.orders,
services.reversals), so the cap counts only what still stands.

A crash rolls the batch back whole; a re-run finds only what is still due. An advisory lock lets
one sweep run at a time; the row locks keep even overlapping runs apart. Other databases (the
SQLite fallback of a local test run) take the same steps through the ORM, one tier at a time.
The setting SWEEP_BATCH_SIZE sets the batch size.
"""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.events import NewEvent, record_events
from marketplace.models import WebhookEndpoint
from suppliers.models import LedgerEntry, Supplier

from ..models import JitOrder, Penalty
from ..rules import RULE_VERSION, Rules, cap_left, rules

logger = logging.getLogger(__name__)
Status = JitOrder.Status
ADVISORY_LOCK_KEY = 7_301_024  # any constant unique to this sweep
PENALTY_EVENT = "order.penalty_assessed"
LEDGER_EVENT = "ledger.posted"  # as suppliers.services.ledger writes it for every posting
CENT = Decimal("0.01")

SHIPPED_STATES = [Status.SHIPPED, Status.RECEIVED, Status.ACCEPTED, Status.REJECTED_QUALITY]


def batch_size() -> int:
    """Orders per transaction (setting SWEEP_BATCH_SIZE)."""
    return int(settings.SWEEP_BATCH_SIZE)


def _shipped_at() -> Coalesce:
    return Coalesce(F("first_scan_at"), F("shipment_recorded_at"))


def tier_conditions(now: datetime, r: Rules) -> list[tuple[str, str, Decimal, Q]]:
    """(tier, flag column, multiple, due condition), in the order tiers are assessed."""

    def late(after: timedelta) -> Q:
        # Unshipped past the deadline now; or shipped, or declared out of stock, after it.
        return (
            Q(status=Status.AWAITING_SHIPMENT, ordered_at__lt=now - after)
            | Q(status__in=SHIPPED_STATES, shipped_time__gt=F("ordered_at") + after)
            | Q(status=Status.FAILED_STOCKOUT, stockout_declared_at__gt=F("ordered_at") + after)
        )

    late_24 = late(r.ship_within)
    late_48 = late(r.late_after)
    quality = Q(status=Status.REJECTED_QUALITY)
    stockout = Q(status=Status.FAILED_STOCKOUT) | Q(
        status=Status.AWAITING_SHIPMENT, ordered_at__lt=now - r.stockout_after
    )
    return [
        (Penalty.Tier.LATE_24H, "late_24h_penalized", r.late_multiple, late_24),
        (
            Penalty.Tier.LATE_48H,
            "late_48h_penalized",
            r.late_total_multiple - r.late_multiple,
            late_48,
        ),
        (Penalty.Tier.QUALITY, "quality_penalized", r.quality_multiple, quality),
        (Penalty.Tier.STOCKOUT, "stockout_penalized", r.stockout_multiple, stockout),
    ]


def _candidates(flag: str, due: Q) -> QuerySet[JitOrder]:
    return JitOrder.objects.annotate(shipped_time=_shipped_at()).filter(due, **{flag: False})


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


def _memo(tier: str) -> str:
    # Nothing to write: the ledger and the notifications word a penalty from its tier, its order
    # and its evidence, in the reader's language.
    return ""


# --- PostgreSQL: one scan, then one statement per batch -----------------------------------------

FIELDS = [
    "id",
    "supplier_id",
    "goods_value",
    "penalty_total",
    "ordered_at",
    "first_scan_at",
    "shipment_recorded_at",
    "shipped_time",
    "status",
    "stockout_declared_at",
    "inspected_at",
    "defect_notes",
]


# The evidence's timestamps as Python's `isoformat()` of a UTC datetime writes them: the text
# of the UTC timestamp (DateStyle ISO, set per batch) with its fraction, if any, padded to six
# digits. `_ISO_TEXT` makes each text once per row; `_iso` finishes it.
_ISO_COLUMNS = {
    "ordered_at": "ordered_at",
    "deadline_24h": "ordered_at + %(ship_within)s::interval",
    "deadline_48h": "ordered_at + %(late_after)s::interval",
    "first_scan_at": "first_scan_at",
    "shipment_recorded_at": "shipment_recorded_at",
    "shipped_at": "shipped_time",
    "stockout_declared_at": "stockout_declared_at",
    "inspected_at": "inspected_at",
}
_ISO_TEXT = ",\n".join(
    f"replace((({column}) AT TIME ZONE 'UTC')::text, ' ', 'T') AS {key}"
    for key, column in _ISO_COLUMNS.items()
)


def _iso(key: str) -> str:
    text = f"iso.{key}"
    return f"CASE WHEN length({text}) > 19 THEN rpad({text}, 26, '0') ELSE {text} END || '+00:00'"


# The batch's orders with a boolean per tier (the ORM's rendering of `tier_conditions`) are
# spliced in at {orders}. `earlier` is what the order's earlier tiers due now ask; each tier
# takes what is left under the cap after them, exactly as assessing one tier at a time would.
ASSESS_SQL = """
WITH due AS (
    SELECT o.*, t.position, t.tier, t.multiple, t.memo,
           coalesce(sum(t.multiple * o.goods_value) OVER earlier, 0) AS earlier,
           count(*) OVER earlier AS earlier_tiers
    FROM ({orders}) o
    CROSS JOIN LATERAL (VALUES
        (0, %(tier_0)s::varchar, %(multiple_0)s::numeric, %(memo_0)s::varchar, o.due_0),
        (1, %(tier_1)s::varchar, %(multiple_1)s::numeric, %(memo_1)s::varchar, o.due_1),
        (2, %(tier_2)s::varchar, %(multiple_2)s::numeric, %(memo_2)s::varchar, o.due_2),
        (3, %(tier_3)s::varchar, %(multiple_3)s::numeric, %(memo_3)s::varchar, o.due_3)
    ) AS t(position, tier, multiple, memo, is_due)
    WHERE o.id = ANY(%(ids)s) AND t.is_due
    WINDOW earlier AS (PARTITION BY o.id ORDER BY t.position
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
capped AS (
    SELECT due.*, greatest(0, least(multiple * goods_value, cap - before)) AS amount
    FROM (
        SELECT due.*, %(cap)s::numeric * goods_value AS cap,
               -- penalty_total as each tier finds it (written back after every tier)
               CASE WHEN earlier_tiers = 0 THEN penalty_total
                    ELSE least(penalty_total + earlier, %(cap)s::numeric * goods_value)
                         ::numeric(14, 2) END AS before
        FROM due
    ) due
),
assessed AS MATERIALIZED (
    SELECT capped.*,
           CASE WHEN amount > 0 THEN amount::text ELSE '0' END AS amount_text,
           CASE WHEN amount > 0 THEN nextval(%(entry_sequence)s::regclass) END AS entry_id
    FROM capped
),
entries AS (
    INSERT INTO suppliers_ledgerentry (id, supplier_id, kind, amount, currency,
        reference_type_id, reference_id, memo, bank_reference, posted_at)
    SELECT entry_id, supplier_id, %(kind)s, -amount, 'CNY', %(order_type)s, id::text, memo, '',
           %(now)s
    FROM assessed WHERE entry_id IS NOT NULL
),
penalties AS (
    INSERT INTO orders_penalty (order_id, supplier_id, tier, multiple, amount, rule_version,
        evidence, assessed_at, ledger_entry_id, status)
    SELECT id, supplier_id, tier, multiple, amount, %(rule_version)s,
        jsonb_build_object(
            'rule', tier,
            'rule_version', %(rule_version)s,
            'ordered_at', {iso_ordered_at},
            'deadline_24h', {iso_deadline_24h},
            'deadline_48h', {iso_deadline_48h},
            'first_scan_at', {iso_first_scan_at},
            'shipment_recorded_at', {iso_shipment_recorded_at},
            'shipped_at', {iso_shipped_at},
            'status', status,
            'stockout_declared_at', {iso_stockout_declared_at},
            'inspected_at', {iso_inspected_at},
            'defect_notes', defect_notes,
            'goods_value', goods_value::text,
            'multiple', %(multiple_texts)s::jsonb -> position,
            'penalties_before', before::text,
            'amount', amount_text,
            'assessed_at', %(now_iso)s::text
        ),
        %(now)s, entry_id, %(assessed)s
    FROM assessed, LATERAL (SELECT {iso_text} OFFSET 0) AS iso
    RETURNING id, order_id, supplier_id, tier, evidence ->> 'amount' AS amount_text
),
events AS (
    INSERT INTO marketplace_event (kind, occurred_at, actor_id, supplier_id, subject_type_id,
        subject_id, reason, payload)
    SELECT %(event_kind)s, %(recorded_at)s, NULL, supplier_id, %(penalty_type)s, id::text,
           %(memos)s::jsonb ->> tier,
           jsonb_build_object('order', order_id, 'tier', tier, 'amount', amount_text)
    FROM penalties
    RETURNING id
),
-- Each supplier's balance before this statement: the statement's snapshot does not see the
-- entries it inserts. Each entry's `ledger.posted` says the balance after it, the entries of
-- one supplier taken in id order, as one posting after another would.
balances AS (
    SELECT supplier_id, sum(amount) AS balance
    FROM suppliers_ledgerentry
    WHERE supplier_id IN (SELECT supplier_id FROM assessed WHERE entry_id IS NOT NULL)
    GROUP BY supplier_id
),
ledger_events AS (
    INSERT INTO marketplace_event (kind, occurred_at, actor_id, supplier_id, subject_type_id,
        subject_id, reason, payload)
    SELECT %(ledger_event_kind)s, %(recorded_at)s, NULL, a.supplier_id, %(entry_type)s,
           a.entry_id::text, a.memo,
           jsonb_build_object(
               'kind', %(kind)s,
               'amount', (-a.amount)::numeric(14, 2)::text,
               'balance', (coalesce(b.balance, 0) - sum(a.amount::numeric(14, 2)) OVER (
                   PARTITION BY a.supplier_id ORDER BY a.entry_id))::numeric(14, 2)::text)
    FROM assessed a LEFT JOIN balances b ON b.supplier_id = a.supplier_id
    WHERE a.entry_id IS NOT NULL
    RETURNING id
),
deliveries AS (
    INSERT INTO marketplace_webhookdelivery (event_id, endpoint_id, status, attempts,
        next_attempt_at, created_at)
    SELECT e.id, endpoint, %(pending)s, 0, %(recorded_at)s, %(recorded_at)s
    FROM events e CROSS JOIN unnest(%(endpoints)s::bigint[]) AS endpoint
    UNION ALL
    SELECT e.id, endpoint, %(pending)s, 0, %(recorded_at)s, %(recorded_at)s
    FROM ledger_events e CROSS JOIN unnest(%(ledger_endpoints)s::bigint[]) AS endpoint
    RETURNING 1
),
orders AS (
    UPDATE orders_jitorder o SET
        late_24h_penalized = o.late_24h_penalized OR a.due_0,
        late_48h_penalized = o.late_48h_penalized OR a.due_1,
        quality_penalized = o.quality_penalized OR a.due_2,
        stockout_penalized = o.stockout_penalized OR a.due_3,
        penalty_total = least(o.penalty_total + a.multiples * o.goods_value,
                              %(cap)s::numeric * o.goods_value),
        status = CASE WHEN a.due_3 AND o.status = %(awaiting)s THEN %(failed_stockout)s
                      ELSE o.status END
    FROM (SELECT id, bool_or(position = 0) AS due_0, bool_or(position = 1) AS due_1,
                 bool_or(position = 2) AS due_2, bool_or(position = 3) AS due_3,
                 sum(multiple) AS multiples
          FROM assessed GROUP BY id) a
    WHERE o.id = a.id
    RETURNING 1
)
SELECT (SELECT count(*) FROM penalties),
       (SELECT coalesce(sum(amount), 0) FROM assessed),
       (SELECT count(*) FROM assessed WHERE position = 3 AND status = %(awaiting)s),
       (SELECT count(*) FROM orders),
       (SELECT count(*) FROM events) + (SELECT count(*) FROM ledger_events),
       (SELECT count(*) FROM deliveries)
"""


# Every order with something due: a superset of `tier_conditions` and the reminders, written per
# status so each row costs a comparison or two (most orders are accepted, and an accepted order
# can only be late). The batches re-check every candidate with the ORM's conditions under lock.
_LATE_SHIPPED = """(
    (NOT late_24h_penalized
     AND coalesce(first_scan_at, shipment_recorded_at) > ordered_at + %(ship_within)s::interval)
    OR (NOT late_48h_penalized
        AND coalesce(first_scan_at, shipment_recorded_at) > ordered_at + %(late_after)s::interval)
)"""
CANDIDATES_SQL = """
SELECT id FROM orders_jitorder WHERE CASE status
    WHEN %(accepted)s THEN {late}
    WHEN %(cancelled)s THEN false
    WHEN %(awaiting)s THEN
        (NOT late_24h_penalized AND ordered_at < %(late_cutoff)s)
        OR (NOT late_48h_penalized AND ordered_at < %(late_48_cutoff)s)
        OR (NOT stockout_penalized AND ordered_at < %(stockout_cutoff)s)
        OR (reminded_18h_at IS NULL AND ordered_at < %(first_reminder_cutoff)s
            AND ordered_at > %(late_cutoff)s)
        OR (reminded_23h_at IS NULL AND ordered_at < %(second_reminder_cutoff)s
            AND ordered_at > %(late_cutoff)s)
    WHEN %(shipped)s THEN {late}
    WHEN %(received)s THEN {late}
    WHEN %(rejected_quality)s THEN NOT quality_penalized OR {late}
    WHEN %(failed_stockout)s THEN
        NOT stockout_penalized
        OR (NOT late_24h_penalized
            AND stockout_declared_at > ordered_at + %(ship_within)s::interval)
        OR (NOT late_48h_penalized
            AND stockout_declared_at > ordered_at + %(late_after)s::interval)
    ELSE true
END
""".replace("{late}", _LATE_SHIPPED)


@functools.cache
def _entry_sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('suppliers_ledgerentry', 'id')")
        return str(cursor.fetchone()[0])


def _with_due(now: datetime, r: Rules) -> QuerySet[JitOrder]:
    """Orders with `due_0` .. `due_3`: whether each tier (in `tier_conditions` order) is due."""
    due = {
        f"due_{position}": ExpressionWrapper(cond & Q(**{flag: False}), output_field=BooleanField())
        for position, (_tier, flag, _multiple, cond) in enumerate(tier_conditions(now, r))
    }
    return JitOrder.objects.order_by().annotate(shipped_time=_shipped_at()).annotate(**due)


def _any_due(now: datetime, r: Rules) -> Q:
    any_due = Q(pk__in=[])
    for _tier, flag, _multiple, cond in tier_conditions(now, r):
        any_due |= cond & Q(**{flag: False})
    return any_due


def _reminders(r: Rules) -> list[tuple[str, timedelta, str]]:
    return [
        ("reminded_18h_at", r.reminders[0], "first"),
        ("reminded_23h_at", r.reminders[1], "second"),
    ]


def _reminder_due(now: datetime, field: str, after: timedelta, r: Rules) -> Q:
    # Only while the shipping deadline is still ahead: a sweep that runs late sends no
    # reminder of a deadline already past (SPEC, "Late evidence").
    return Q(
        status=Status.AWAITING_SHIPMENT,
        ordered_at__lt=now - after,
        ordered_at__gt=now - r.ship_within,
        **{f"{field}__isnull": True},
    )


def _bind(template: str, named: dict[str, Any]) -> tuple[str, list[Any]]:
    """`%(name)s` placeholders to positional ones (the spliced ORM SQL brings its own)."""
    params: list[Any] = []
    out: list[str] = []
    rest = template
    while (start := rest.find("%(")) != -1:
        end = rest.index(")s", start)
        out.append(rest[:start] + "%s")
        params.append(named[rest[start + 2 : end]])
        rest = rest[end + 2 :]
    out.append(rest)
    return "".join(out), params


@dataclass(frozen=True)
class _Slot:
    """A parameter of the assessment statement that each batch fills in."""

    name: str


class _PgSweep:
    """The PostgreSQL sweep: one scan finds every order with something due (a reminder or a
    tier); batches of those ids are then locked, re-checked and settled, one transaction each."""

    CURSOR = "jit_sweep_due"

    def __init__(self, now: datetime, r: Rules, result: SweepResult, size: int) -> None:
        self.now, self.r, self.result, self.size = now, r, result, size
        self.any_due = _any_due(now, r)
        self.reminders = _reminders(r)
        self.reminder_due = Q(pk__in=[])
        for field, after, _label in self.reminders:
            self.reminder_due |= _reminder_due(now, field, after, r)
        self.wanted = self.any_due | self.reminder_due
        self.statement = self._statement()

    def run(self) -> None:
        due_sql, due_params = _bind(CANDIDATES_SQL, self._candidate_params())
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

    def _candidate_params(self) -> dict[str, Any]:
        now, r = self.now, self.r
        # Time-only intervals: adding one to a timestamp needs no calendar (in the UTC
        # sessions Django opens, 86,400 s is the day the ORM's interval says).
        seconds = lambda after: f"{after.total_seconds()} seconds"  # noqa: E731
        return {
            "accepted": Status.ACCEPTED,
            "cancelled": Status.CANCELLED,
            "awaiting": Status.AWAITING_SHIPMENT,
            "shipped": Status.SHIPPED,
            "received": Status.RECEIVED,
            "rejected_quality": Status.REJECTED_QUALITY,
            "failed_stockout": Status.FAILED_STOCKOUT,
            "ship_within": seconds(r.ship_within),
            "late_after": seconds(r.late_after),
            "late_cutoff": now - r.ship_within,
            "late_48_cutoff": now - r.late_after,
            "stockout_cutoff": now - r.stockout_after,
            "first_reminder_cutoff": now - r.reminders[0],
            "second_reminder_cutoff": now - r.reminders[1],
        }

    def _batch(self, candidates: list[int]) -> None:
        """One transaction: lock what is still due among `candidates` (skipping orders another
        transaction holds), send its reminders, then assess its tiers."""
        now, result = self.now, self.result
        with transaction.atomic():
            with connection.cursor() as cursor:
                # LLVM compiling costs more than these plans run; the evidence needs ISO dates.
                cursor.execute("SET LOCAL jit = off; SET LOCAL DateStyle = 'ISO'")
            locked = list(
                JitOrder.objects.annotate(shipped_time=_shipped_at())
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
                .values_list("id", "supplier_id", "tier_due", "reminder_due")
            )
            if not locked:
                return
            to_remind = [order_id for order_id, _supplier, _tier, remind in locked if remind]
            if to_remind:
                self._remind(to_remind)
            ids = [order_id for order_id, _supplier, tier_due, _remind in locked if tier_due]
            if not ids:
                return
            supplier_ids = sorted({supplier for _id, supplier, tier_due, _r in locked if tier_due})
            # Serialise with every other posting to these suppliers (the ledger's rule).
            list(
                Supplier.objects.select_for_update()
                .filter(pk__in=supplier_ids)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            penalties, amount, stockouts, deliveries = self._assess(ids)
            if deliveries:
                from marketplace.tasks import dispatch_webhooks

                enqueue_on_commit(dispatch_webhooks)
            paused = _pause_jit_below_minimum(supplier_ids, now)
            _record_pauses(paused)
        result.penalties += penalties
        result.amount += amount
        result.stockouts += stockouts
        result.paused_suppliers += len(paused)

    def _remind(self, ids: list[int]) -> None:
        r = self.r
        for field, after, label in self.reminders:
            with connection.cursor() as cursor:
                cursor.execute(  # `field` is one of the two reminder columns
                    f"UPDATE orders_jitorder SET {field} = %s WHERE id = ANY(%s) "  # noqa: S608
                    f"AND status = %s AND ordered_at < %s AND ordered_at > %s AND {field} IS NULL "
                    "RETURNING id, supplier_id, ordered_at",
                    [
                        self.now,
                        ids,
                        Status.AWAITING_SHIPMENT,
                        self.now - after,
                        self.now - r.ship_within,
                    ],
                )
                due = sorted(cursor.fetchall())
            if not due:
                continue
            record_events(
                NewEvent(
                    "order.shipping_reminder",
                    None,
                    supplier_id=supplier_id,
                    reason=f"Ship before {(ordered_at + r.ship_within).isoformat()}",
                    payload={
                        "order": order_id,
                        "reminder": label,
                        "deadline": (ordered_at + r.ship_within).isoformat(),
                    },
                )
                for order_id, supplier_id, ordered_at in due
            )
            self.result.reminders += len(due)

    def _statement(self) -> tuple[str, list[Any], list[Any], list[Any]]:
        """ASSESS_SQL with the tier conditions spliced in: (sql, params before the ids, ...)."""
        now, r = self.now, self.r
        tiers = tier_conditions(now, r)
        orders_sql, orders_params = (
            _with_due(now, r)
            .values(*FIELDS, "due_0", "due_1", "due_2", "due_3")
            .query.sql_with_params()
        )
        named: dict[str, Any] = {
            "cap": r.cap_multiple,
            "entry_sequence": _entry_sequence(),
            "kind": LedgerEntry.Kind.PENALTY,
            "order_type": ContentType.objects.get_for_model(JitOrder).pk,
            "penalty_type": ContentType.objects.get_for_model(Penalty).pk,
            "now": now,
            "now_iso": now.isoformat(),
            "rule_version": RULE_VERSION,
            "multiple_texts": json.dumps([str(multiple) for _t, _f, multiple, _c in tiers]),
            "memos": json.dumps({str(tier): _memo(tier) for tier, _f, _m, _c in tiers}),
            "assessed": Penalty.Status.ASSESSED,
            "event_kind": PENALTY_EVENT,
            "ledger_event_kind": LEDGER_EVENT,
            "entry_type": ContentType.objects.get_for_model(LedgerEntry).pk,
            "pending": "pending",
            "awaiting": Status.AWAITING_SHIPMENT,
            "failed_stockout": Status.FAILED_STOCKOUT,
            "ship_within": r.ship_within,
            "late_after": r.late_after,
        }
        for position, (tier, _flag, multiple, _cond) in enumerate(tiers):
            named[f"tier_{position}"] = str(tier)
            named[f"multiple_{position}"] = multiple
            named[f"memo_{position}"] = _memo(tier)
        template = ASSESS_SQL.format(
            orders="{orders}",
            iso_text=_ISO_TEXT,
            **{f"iso_{key}": _iso(key) for key in _ISO_COLUMNS},
        )
        head, tail = template.split("{orders}")
        # The per-batch values are slots, filled by `_assess`.
        per_batch = {
            key: _Slot(key) for key in ("ids", "recorded_at", "endpoints", "ledger_endpoints")
        }
        head_sql, head_params = _bind(head, {**named, **per_batch})
        tail_sql, tail_params = _bind(tail, {**named, **per_batch})
        return head_sql + orders_sql + tail_sql, head_params, list(orders_params), tail_params

    def _assess(self, ids: list[int]) -> tuple[int, Decimal, int, int]:
        """The statement for these locked orders: (penalties, amount, stockouts, deliveries)."""
        sql, head, orders, tail = self.statement
        active = list(
            WebhookEndpoint.objects.filter(is_active=True, client__is_active=True).only(
                "id", "event_kinds"
            )
        )
        per_batch = {
            "ids": ids,
            "recorded_at": timezone.now(),
            "endpoints": [e.pk for e in active if e.wants(PENALTY_EVENT)],
            "ledger_endpoints": [e.pk for e in active if e.wants(LEDGER_EVENT)],
        }
        params: list[Any] = [
            per_batch[p.name] if isinstance(p, _Slot) else p for p in [*head, *orders, *tail]
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            penalties, amount, stockouts, _orders, _events, deliveries = cursor.fetchone()
        return penalties, amount, stockouts, deliveries


# --- Other databases: the ORM, one tier at a time ------------------------------------------


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


def _assess_batch(
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
            _candidates(flag, due)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list("id", flat=True)[:size]
        )
        if not ids:
            return 0
        orders = list(
            JitOrder.objects.annotate(shipped_time=_shipped_at()).filter(pk__in=ids).values(*FIELDS)
        )
        supplier_ids = sorted({o["supplier_id"] for o in orders})
        # Serialise with every other posting to these suppliers (the ledger's rule).
        list(
            Supplier.objects.select_for_update()
            .filter(pk__in=supplier_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )

        order_type = ContentType.objects.get_for_model(JitOrder)
        amounts = {}
        for o in orders:
            left = cap_left(r, o["goods_value"], o["penalty_total"])
            amounts[o["id"]] = max(Decimal("0"), min(multiple * o["goods_value"], left))
        memo = _memo(tier)
        balances = _balances(supplier_ids)
        entries = LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    supplier_id=o["supplier_id"],
                    kind=LedgerEntry.Kind.PENALTY,
                    amount=-amounts[o["id"]],
                    reference_type=order_type,
                    reference_id=str(o["id"]),
                    memo=memo,
                    posted_at=now,
                )
                for o in orders
                if amounts[o["id"]] > 0
            ]
        )
        entry_of = {int(e.reference_id): e for e in entries}
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
        changes: dict[str, Any] = {
            flag: True,
            "penalty_total": Least(
                F("penalty_total") + multiple * F("goods_value"), r.cap_multiple * F("goods_value")
            ),
        }
        JitOrder.objects.filter(pk__in=ids).update(**changes)
        if tier == Penalty.Tier.STOCKOUT:
            result.stockouts += JitOrder.objects.filter(
                pk__in=ids, status=Status.AWAITING_SHIPMENT
            ).update(status=Status.FAILED_STOCKOUT)
        paused = _pause_jit_below_minimum(supplier_ids, now)
        record_events(
            NewEvent(
                PENALTY_EVENT,
                None,
                subject=p,
                supplier_id=p.supplier_id,
                reason=memo,
                payload={"order": p.order_id, "tier": tier, "amount": str(p.amount)},
            )
            for p in penalties
        )
        record_events(_ledger_events(entries, balances))
        _record_pauses(paused)
    result.penalties += len(penalties)
    result.amount += sum(amounts.values(), Decimal("0"))
    result.paused_suppliers += len(paused)
    return len(ids)


def _balances(supplier_ids: list[int]) -> dict[int, Decimal]:
    """The suppliers' balances (locked by the caller), one aggregate over the ledger's
    (supplier, amount) index."""
    return dict(
        LedgerEntry.objects.filter(supplier_id__in=supplier_ids)
        .order_by()
        .values("supplier_id")
        .annotate(total=Sum("amount"))
        .values_list("supplier_id", "total")
    )


def _ledger_events(entries: list[LedgerEntry], balances: dict[int, Decimal]) -> list[NewEvent]:
    """`ledger.posted` for each entry, as suppliers.services.ledger writes it: the balance after
    the entry, one supplier's entries taken in id order. `balances` is before them."""
    running = dict(balances)
    events = []
    for entry in sorted(entries, key=lambda e: e.pk):
        amount = Decimal(entry.amount).quantize(CENT)
        balance = (running.get(entry.supplier_id, Decimal("0")) + amount).quantize(CENT)
        running[entry.supplier_id] = balance
        events.append(
            NewEvent(
                LEDGER_EVENT,
                None,
                subject=entry,
                supplier_id=entry.supplier_id,
                reason=entry.memo,
                payload={"kind": entry.kind, "amount": str(amount), "balance": str(balance)},
            )
        )
    return events


def _pause_jit_below_minimum(
    supplier_ids: list[int], now: datetime
) -> list[tuple[int, Decimal, str]]:
    """Suppliers (locked by the caller) enrolled in JIT whose deposit is now below the minimum:
    pause them, as a single posting would (suppliers.services.ledger)."""
    minimum = settings.JIT_MIN_DEPOSIT_CNY
    enrolled = list(
        Supplier.objects.filter(pk__in=supplier_ids, jit_status=Supplier.JitStatus.ENROLLED)
        .order_by("name_en", "pk")
        .values_list("pk", flat=True)
    )
    if not enrolled:
        return []
    # One aggregate over the ledger's (supplier, amount) index.
    totals = dict(
        LedgerEntry.objects.filter(supplier_id__in=enrolled)
        .order_by()
        .values("supplier_id")
        .annotate(total=Sum("amount"))
        .values_list("supplier_id", "total")
    )
    paused = []
    for supplier_id in enrolled:
        balance = totals.get(supplier_id, Decimal("0"))
        if balance < minimum:
            reason = Supplier.JitReason.DEPOSIT_BELOW_MINIMUM.value
            paused.append((supplier_id, balance, reason))
    for supplier_id, _balance, reason in paused:
        Supplier.objects.filter(pk=supplier_id).update(
            jit_status=Supplier.JitStatus.PAUSED,
            jit_status_reason=reason,
            jit_status_changed_at=now,
        )
    return paused


def _record_pauses(paused: list[tuple[int, Decimal, str]]) -> None:
    record_events(
        NewEvent(
            "supplier.jit_paused",
            None,
            supplier_id=supplier_id,
            reason=reason,
            payload={"balance": str(balance)},
        )
        for supplier_id, balance, reason in paused
    )


def _send_reminders(now: datetime, r: Rules, result: SweepResult, size: int) -> None:
    for field, after, label in (
        ("reminded_18h_at", r.reminders[0], "first"),
        ("reminded_23h_at", r.reminders[1], "second"),
    ):
        last = 0
        while True:
            with transaction.atomic():
                due = list(
                    JitOrder.objects.select_for_update(skip_locked=True)
                    .filter(_reminder_due(now, field, after, r), pk__gt=last)
                    .order_by("id")
                    .values("id", "supplier_id", "ordered_at")[:size]
                )
                if not due:
                    break
                last = due[-1]["id"]
                JitOrder.objects.filter(pk__in=[o["id"] for o in due]).update(**{field: now})
                record_events(
                    NewEvent(
                        "order.shipping_reminder",
                        None,
                        supplier_id=o["supplier_id"],
                        reason=f"Ship before {(o['ordered_at'] + r.ship_within).isoformat()}",
                        payload={
                            "order": o["id"],
                            "reminder": label,
                            "deadline": (o["ordered_at"] + r.ship_within).isoformat(),
                        },
                    )
                    for o in due
                )
            result.reminders += len(due)
            if len(due) < size:
                break


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
            _PgSweep(now, r, result, size).run()
        else:
            _send_reminders(now, r, result, size)
            for tier, flag, multiple, due in tier_conditions(now, r):
                while _assess_batch(tier, flag, multiple, due, now, r, result, size) == size:
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
