"""The statements of `ledger_post_many` for postings selected in SQL (PostgreSQL): the same
entries, `ledger.posted` events and JIT moves as the ORM's steps in `posting`, for a batch of
any size in one statement. The caller's query is spliced in at `{source}`."""

from __future__ import annotations

# The suppliers the postings go to, locked in id order (see `posting._lock`).
LOCK_SQL = """
SELECT id FROM suppliers_supplier
WHERE id IN (SELECT supplier_id FROM ({source}) source)
ORDER BY id
FOR NO KEY UPDATE
"""

# Under those locks: the entries; the balance after each (the statement's snapshot does not see
# the entries it inserts, so `before` is each supplier's balance before them, and one
# supplier's entries are taken in id order, as one posting after another); a `ledger.posted`
# per entry; the JIT threshold per entry: for a supplier in JIT the status after an entry is
# a function of the balance after it (`jit_threshold_move`), so it moves where that function
# changes from the entry before (or from the status it had); each move's event; the
# suppliers' final status; the events' webhook deliveries.
POST_SQL = """
WITH postings AS MATERIALIZED (
    SELECT coalesce(source.id, {entry_id}) AS id, source.supplier_id, source.kind,
           source.amount::numeric(14, 2) AS amount, source.reference_type_id,
           source.reference_id, source.memo
    FROM ({source}) source
),
entries AS (
    INSERT INTO suppliers_ledgerentry (id, supplier_id, kind, amount, currency,
        reference_type_id, reference_id, memo, bank_reference, posted_by_id, posted_at)
    SELECT id, supplier_id, kind, amount, 'CNY', reference_type_id, reference_id, memo, '',
           %(actor)s, %(posted_at)s
    FROM postings
    RETURNING 1
),
before AS (
    SELECT s.id AS supplier_id, s.jit_status,
           coalesce((SELECT sum(e.amount) FROM suppliers_ledgerentry e
                     WHERE e.supplier_id = s.id), 0) AS balance
    FROM suppliers_supplier s
    WHERE s.id IN (SELECT supplier_id FROM postings)
),
-- Each supplier's opening balance as a row before its entries: one window, no join.
running AS MATERIALIZED (
    SELECT * FROM (
        SELECT l.*, (sum(l.amount) OVER w)::numeric(14, 2) AS balance,
               first_value(l.jit_status) OVER w AS jit_status_before
        FROM (
            SELECT supplier_id, 0::bigint AS id, NULL::varchar AS kind, balance AS amount,
                   NULL::varchar AS memo, jit_status
            FROM before
            UNION ALL
            SELECT supplier_id, id, kind, amount, memo, NULL
            FROM postings
        ) l
        WINDOW w AS (PARTITION BY supplier_id ORDER BY id)
    ) r
    WHERE id > 0
),
threshold AS MATERIALIZED (
    SELECT supplier_id, id, balance, balance < %(minimum)s AS below,
           lag(balance < %(minimum)s, 1, jit_status_before = %(paused)s) OVER (
               PARTITION BY supplier_id ORDER BY id) AS was_below
    FROM running
    WHERE jit_status_before = ANY(%(in_jit)s)
),
moves AS MATERIALIZED (
    SELECT * FROM threshold WHERE below <> was_below
),
moved AS (
    UPDATE suppliers_supplier s SET
        jit_status = CASE WHEN m.below THEN %(paused)s ELSE %(enrolled)s END,
        jit_status_reason = CASE WHEN m.below THEN %(pause_reason)s ELSE %(resume_reason)s END,
        jit_status_changed_at = %(posted_at)s
    FROM (SELECT DISTINCT ON (supplier_id) supplier_id, below
          FROM moves ORDER BY supplier_id, id DESC) m
    WHERE s.id = m.supplier_id
    RETURNING 1
),
events AS (
    INSERT INTO marketplace_event (kind, occurred_at, actor_id, supplier_id, subject_type_id,
        subject_id, reason, payload)
    SELECT kind, %(recorded_at)s, %(actor)s, supplier_id, subject_type_id, subject_id, reason,
           payload
    FROM (
        SELECT id AS entry_id, 0 AS n, %(ledger_event)s AS kind, supplier_id,
               %(entry_type)s::integer AS subject_type_id, id::text AS subject_id,
               memo AS reason,
               jsonb_build_object('kind', kind, 'amount', amount::text,
                                  'balance', balance::text) AS payload
        FROM running
        UNION ALL
        SELECT id, 1, CASE WHEN below THEN %(pause_event)s ELSE %(resume_event)s END,
               supplier_id, NULL, '',
               CASE WHEN below THEN %(pause_reason)s ELSE %(resume_reason)s END,
               jsonb_build_object('balance', balance::text)
        FROM moves
    ) e
    ORDER BY entry_id, n
    RETURNING id, kind
),
deliveries AS (
    INSERT INTO marketplace_webhookdelivery (event_id, endpoint_id, status, attempts,
        next_attempt_at, created_at)
    SELECT e.id, w.endpoint_id, 'pending', 0, %(recorded_at)s, %(recorded_at)s
    FROM events e
    JOIN unnest(%(endpoint_ids)s::bigint[], %(endpoint_kinds)s::text[]) AS w(endpoint_id, kind)
      ON w.kind = e.kind
    RETURNING 1
)
SELECT (SELECT count(*) FROM entries),
       (SELECT coalesce(sum(amount), 0) FROM postings),
       (SELECT count(*) FILTER (WHERE below) FROM moves),
       (SELECT count(*) FILTER (WHERE NOT below) FROM moves),
       (SELECT count(*) FROM deliveries) + 0 * (SELECT count(*) FROM moved)
"""
