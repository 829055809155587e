"""The PostgreSQL sweep's assessment: one statement per batch of locked orders that assesses
every due tier under the 5x cap, in the table's order, inserts the penalties with their
evidence and their `order.penalty_assessed` events (and webhook deliveries, as `record_events`
would), and writes the outcome back on the orders. It takes an id from the ledger for each
penalty entry to come; the entries themselves, their events and the JIT threshold are the
ledger's (`ledger_post_many`, handed `PENALTY_POSTINGS_SQL`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField
from django.db.models.expressions import RawSQL

from suppliers.models import LedgerEntry
from suppliers.services.ledger.posting import entry_id_sql

from ...models import JitOrder, Penalty
from ...rules import RULE_VERSION, Rules
from .select import FIELDS, STOCKOUT_FAILS, tier_conditions, with_due

Status = JitOrder.Status
PENALTY_EVENT = "order.penalty_assessed"

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
WITH batch AS MATERIALIZED (
    SELECT o.* FROM ({orders}) o WHERE o.id = ANY(%(ids)s)
),
due AS (
    SELECT o.*, t.position, t.tier, t.multiple,
           coalesce(sum(t.multiple * o.goods_value) OVER earlier, 0) AS earlier,
           count(*) OVER earlier AS earlier_tiers
    FROM batch o
    CROSS JOIN LATERAL (VALUES
        (0, %(tier_0)s::varchar, %(multiple_0)s::numeric, o.due_0),
        (1, %(tier_1)s::varchar, %(multiple_1)s::numeric, o.due_1),
        (2, %(tier_2)s::varchar, %(multiple_2)s::numeric, o.due_2),
        (3, %(tier_3)s::varchar, %(multiple_3)s::numeric, o.due_3)
    ) AS t(position, tier, multiple, is_due)
    WHERE t.is_due
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
-- The entry ids in the order the ORM's steps post them (tier by tier, orders in id order), so
-- that both paths leave the same running balances.
assessed AS MATERIALIZED (
    SELECT capped.*,
           CASE WHEN amount > 0 THEN amount::text ELSE '0' END AS amount_text,
           CASE WHEN amount > 0 THEN {entry_id} END AS entry_id
    FROM (SELECT * FROM capped ORDER BY position, id) capped
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
    SELECT %(event_kind)s, %(recorded_at)s, NULL, supplier_id, %(penalty_type)s, id::text, '',
           jsonb_build_object('order', order_id, 'tier', tier, 'amount', amount_text)
    FROM penalties
    RETURNING id
),
deliveries AS (
    INSERT INTO marketplace_webhookdelivery (event_id, endpoint_id, status, attempts,
        next_attempt_at, created_at)
    SELECT e.id, endpoint, %(pending)s, 0, %(recorded_at)s, %(recorded_at)s
    FROM events e CROSS JOIN unnest(%(endpoints)s::bigint[]) AS endpoint
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
        status = CASE WHEN a.due_3 AND o.status = ANY(%(stockout_fails)s) THEN %(failed_stockout)s
                      ELSE o.status END
    -- the batch's orders with a tier due, found again by the row the batch read (each is
    -- locked by this transaction, so that row is its latest): a TID scan, whatever the
    -- planner makes of the batch's size
    FROM (SELECT row_id, due_0 IS TRUE AS due_0, due_1 IS TRUE AS due_1,
                 due_2 IS TRUE AS due_2, due_3 IS TRUE AS due_3,
                 CASE WHEN due_0 THEN %(multiple_0)s::numeric ELSE 0 END
                 + CASE WHEN due_1 THEN %(multiple_1)s::numeric ELSE 0 END
                 + CASE WHEN due_2 THEN %(multiple_2)s::numeric ELSE 0 END
                 + CASE WHEN due_3 THEN %(multiple_3)s::numeric ELSE 0 END AS multiples
          FROM batch WHERE due_0 OR due_1 OR due_2 OR due_3) a
    WHERE o.ctid = ANY(ARRAY(SELECT row_id FROM batch
                             WHERE due_0 OR due_1 OR due_2 OR due_3))
      AND o.ctid = a.row_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM penalties),
       (SELECT count(*) FROM assessed WHERE position = 3 AND status = ANY(%(stockout_fails)s)),
       (SELECT count(*) FROM orders),
       (SELECT count(*) FROM events),
       (SELECT count(*) FROM deliveries),
       -- the postings: the penalties' entries, as array texts (see PENALTY_POSTINGS_SQL)
       (SELECT coalesce(array_agg(entry_id ORDER BY entry_id), '{{}}')::text FROM assessed
        WHERE entry_id IS NOT NULL),
       (SELECT coalesce(array_agg(supplier_id ORDER BY entry_id), '{{}}')::text FROM assessed
        WHERE entry_id IS NOT NULL),
       (SELECT coalesce(array_agg(amount ORDER BY entry_id), '{{}}')::text FROM assessed
        WHERE entry_id IS NOT NULL),
       (SELECT coalesce(array_agg(id ORDER BY entry_id), '{{}}')::text FROM assessed
        WHERE entry_id IS NOT NULL)
"""

# The ledger entries the statement above took ids for: what `ledger_post_many` posts for the
# batch. The statement hands them back as the texts of four arrays (entry id, supplier, amount,
# order), which go back as they came: the posting service reads its postings twice (to lock the
# suppliers, then to post) and so reads neither the penalties nor the ledger to find them. Each
# is posted once: the ids were taken from the ledger's sequence by that statement, in this
# transaction, so no entry has them yet.
PENALTY_POSTINGS_SQL = """
SELECT t.id, t.supplier_id, %s AS kind, -t.amount AS amount, %s AS reference_type_id,
       t.order_id::text AS reference_id, '' AS memo
FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::bigint[])
     AS t(id, supplier_id, amount, order_id)
"""


def bind(template: str, named: dict[str, Any]) -> tuple[str, list[Any]]:
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
class Slot:
    """A parameter of the assessment statement that each batch fills in."""

    name: str


PER_BATCH = ("ids", "recorded_at", "endpoints")


def assess_statement(now: datetime, r: Rules) -> tuple[str, list[Any]]:
    """ASSESS_SQL with the tier conditions spliced in, and its parameters, those of each batch
    (PER_BATCH) left as `Slot`s."""
    tiers = tier_conditions(now, r)
    orders_sql, orders_params = (
        with_due(now, r)
        .annotate(row_id=RawSQL('"orders_jitorder"."ctid"', (), output_field=CharField()))
        .values(*FIELDS, "row_id", "due_0", "due_1", "due_2", "due_3")
        .query.sql_with_params()
    )
    named: dict[str, Any] = {
        "cap": r.cap_multiple,
        "penalty_type": ContentType.objects.get_for_model(Penalty).pk,
        "now": now,
        "now_iso": now.isoformat(),
        "rule_version": RULE_VERSION,
        "multiple_texts": json.dumps([str(multiple) for _t, _f, multiple, _c in tiers]),
        "assessed": Penalty.Status.ASSESSED,
        "event_kind": PENALTY_EVENT,
        "pending": "pending",
        "stockout_fails": STOCKOUT_FAILS,
        "failed_stockout": Status.FAILED_STOCKOUT,
        "ship_within": r.ship_within,
        "late_after": r.late_after,
        **{key: Slot(key) for key in PER_BATCH},
    }
    for position, (tier, _flag, multiple, _cond) in enumerate(tiers):
        named[f"tier_{position}"] = str(tier)
        named[f"multiple_{position}"] = multiple
    template = ASSESS_SQL.format(
        orders="{orders}",
        entry_id=entry_id_sql(),
        iso_text=_ISO_TEXT,
        **{f"iso_{key}": _iso(key) for key in _ISO_COLUMNS},
    )
    head, tail = template.split("{orders}")
    head_sql, head_params = bind(head, named)
    tail_sql, tail_params = bind(tail, named)
    return head_sql + orders_sql + tail_sql, [*head_params, *orders_params, *tail_params]


def penalty_postings(entries: tuple[str, str, str, str]) -> tuple[str, list[Any]]:
    """PENALTY_POSTINGS_SQL for the entries a batch's assessment returned (its four array
    texts), with its parameters."""
    order_type = ContentType.objects.get_for_model(JitOrder).pk
    return PENALTY_POSTINGS_SQL, [LedgerEntry.Kind.PENALTY, order_type, *entries]
