"""Carriers' tracking events against their floor (issue 13, "Benchmark"); run by `make bench`.

On the throwaway PostgreSQL database bench/run.py made:

1. seed N parcels (BENCH_TRACKING_PARCELS, default 200,000) with set-based SQL, and their
   5 x N events: picked up, departed, arrived, cleared and then, per parcel, delivered (80%),
   out for delivery (10%) or an exception (10%, with a note); shuffled, with 5% of them sent a
   second time among the rest (a fixed seed: every run posts the same stream);
2. the floor: per batch of TRACKING_BATCH_MAX events, the two statements one would write by
   hand: an INSERT ... SELECT FROM unnest(...) JOIN parcels ON CONFLICT DO NOTHING, then one
   UPDATE of the touched parcels recomputing their state and milestone times from all their
   events, which also inserts a `parcel.<status>` event per status moved (the same rows the
   service records); each batch its own transaction; timed;
3. the parcels, their events and the events recorded put back as seeded (TRUNCATE, UPDATE,
   VACUUM FULL: the same starting point), then the same stream through
   `shipping.services.tracking.tracking_record` in the same batches, timed;
4. the two compared: every parcel's status, milestone times and exception must be equal, and
   the events recorded per kind.

Goal: the service <= 2 x the floor.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

EVENTS_PER_PARCEL = 5
DUPLICATES = 0.05
# Hours after pickup of each of a parcel's five events.
HOURS = [0, 20, 70, 90, 150]
PREFIX = "BT"

# The floor's second statement: the rule of shipping.selectors.tracking, written once by hand.
FLOOR_INSERT = """
INSERT INTO shipping_trackingevent
    (parcel_id, external_id, code, occurred_at, location, note, received_at)
SELECT p.id, t.e, t.c, t.o, t.l, t.n, now()
FROM unnest(%s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::text[])
    AS t(tn, e, c, o, l, n)
-- `<> ''`: the unique index's own condition, so that the join may use it.
JOIN shipping_parcel p ON p.tracking_number = t.tn AND p.tracking_number <> ''
ON CONFLICT (parcel_id, external_id) DO NOTHING
RETURNING parcel_id
"""

FLOOR_UPDATE = """
WITH agg AS (
    SELECT parcel_id,
        min(occurred_at) FILTER (WHERE code = 'picked_up') AS picked_up_at,
        min(occurred_at) FILTER (WHERE code = 'departed_origin') AS departed_origin_at,
        min(occurred_at) FILTER (WHERE code = 'arrived_destination') AS arrived_destination_at,
        min(occurred_at) FILTER (WHERE code = 'customs_cleared') AS customs_cleared_at,
        min(occurred_at) FILTER (WHERE code = 'out_for_delivery') AS out_for_delivery_at,
        min(occurred_at) FILTER (WHERE code = 'returned') AS returned_at,
        min(occurred_at) FILTER (WHERE code = 'delivered') AS delivered_at,
        max(CASE code WHEN 'picked_up' THEN 1 WHEN 'departed_origin' THEN 2
            WHEN 'arrived_destination' THEN 3 WHEN 'customs_cleared' THEN 4
            WHEN 'out_for_delivery' THEN 5 WHEN 'returned' THEN 6 WHEN 'delivered' THEN 7
            ELSE 0 END) AS furthest,
        max(occurred_at) FILTER (WHERE code <> 'exception') AS last_progress,
        max(occurred_at) FILTER (WHERE code = 'exception') AS exception_at,
        coalesce((array_agg(note ORDER BY occurred_at DESC, external_id DESC)
            FILTER (WHERE code = 'exception'))[1], '') AS exception_note
    FROM shipping_trackingevent
    WHERE parcel_id = ANY(%(ids)s)
    GROUP BY parcel_id
),
d AS (
    SELECT agg.*,
        CASE WHEN furthest NOT IN (6, 7) AND exception_at IS NOT NULL
                  AND (last_progress IS NULL OR exception_at > last_progress) THEN 'exception'
             ELSE (ARRAY['created', 'picked_up', 'departed_origin', 'arrived_destination',
                         'customs_cleared', 'out_for_delivery', 'returned',
                         'delivered'])[furthest + 1]
        END AS status
    FROM agg
),
upd AS (
    UPDATE shipping_parcel p SET
        status = d.status, picked_up_at = d.picked_up_at,
        departed_origin_at = d.departed_origin_at,
        arrived_destination_at = d.arrived_destination_at,
        customs_cleared_at = d.customs_cleared_at, out_for_delivery_at = d.out_for_delivery_at,
        delivered_at = d.delivered_at, returned_at = d.returned_at,
        exception_at = d.exception_at, exception_note = d.exception_note
    FROM d JOIN shipping_parcel old ON old.id = d.parcel_id
    WHERE p.id = d.parcel_id
        AND (p.status, p.picked_up_at, p.departed_origin_at, p.arrived_destination_at,
             p.customs_cleared_at, p.out_for_delivery_at, p.delivered_at, p.returned_at,
             p.exception_at, p.exception_note)
        IS DISTINCT FROM (d.status, d.picked_up_at, d.departed_origin_at,
             d.arrived_destination_at, d.customs_cleared_at, d.out_for_delivery_at,
             d.delivered_at, d.returned_at, d.exception_at, d.exception_note)
    RETURNING p.id, p.supplier_id, p.tracking_number, old.status AS before, p.status,
        CASE p.status WHEN 'picked_up' THEN p.picked_up_at
            WHEN 'departed_origin' THEN p.departed_origin_at
            WHEN 'arrived_destination' THEN p.arrived_destination_at
            WHEN 'customs_cleared' THEN p.customs_cleared_at
            WHEN 'out_for_delivery' THEN p.out_for_delivery_at
            WHEN 'delivered' THEN p.delivered_at WHEN 'returned' THEN p.returned_at
            WHEN 'exception' THEN p.exception_at END AS at,
        p.exception_note
)
INSERT INTO marketplace_event
    (kind, occurred_at, supplier_id, subject_type_id, subject_id, reason, payload)
SELECT 'parcel.' || status, now(), supplier_id, %(parcel_type)s, id::text,
    CASE WHEN status = 'exception' THEN exception_note ELSE '' END,
    jsonb_build_object('tracking_number', tracking_number, 'from', before, 'to', status,
                       'at', at)
FROM upd WHERE before <> status
"""

TRACKED = (
    "status, picked_up_at, departed_origin_at, arrived_destination_at, customs_cleared_at, "
    "out_for_delivery_at, delivered_at, returned_at, exception_at, exception_note"
)


def _seed(n: int) -> datetime:
    """N parcels of one supplier's order, as the parcels service leaves them before pickup;
    returns the time the first is picked up."""
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Category, Listing, Product
    from orders.models import ConsumerOrder
    from suppliers.models import Supplier

    now = timezone.now()
    tag = now.strftime("%y%m%d%H%M%S")
    supplier = Supplier.objects.create(
        name_zh=f"物流基准{tag}",
        name_en=f"Tracking bench {tag}",
        credit_code=f"T{tag}",
        contact_name="Bench",
        status=Supplier.Status.ACTIVE,
    )
    category, _created = Category.objects.get_or_create(
        code="bench-parcels", defaults={"name_en": "Parcels", "name_zh": "包裹"}
    )
    product = Product.objects.create(
        title_en="Bench parcel goods",
        title_zh="基准包裹商品",
        category=category,
        hs_code="950300",
        weight_g=300,
        length_cm=20,
        width_cm=10,
        height_cm=5,
        declared_value_usd=5,
        owner=supplier,
    )
    listing = Listing.objects.create(
        supplier=supplier,
        product=product,
        mode=Listing.Mode.FULLY_MANAGED,
        status=Listing.Status.LIVE,
    )
    order = ConsumerOrder.objects.create(
        listing=listing,
        supplier=supplier,
        external_id=f"BENCH-{tag}",
        market="US",
        country="US",
        quantity=1,
        unit_price=19,
        currency="USD",
        unit_supply_price=20,
        status=ConsumerOrder.Status.FULFILLED,
        ordered_at=now,
        fulfilled_at=now,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO shipping_parcel (order_id, listing_id, supplier_id, mode, market, country,
                channel, tracking_number, carrier, declared_value, currency, weight_g, status,
                created_at, exception_note, hold_reasons)
            SELECT %(order)s, %(listing)s, %(supplier)s, 'platform', 'US', 'US', 'courier',
                   %(prefix)s || lpad(i::text, 10, '0'), '', 19, 'USD', 300, 'created',
                   %(now)s, '', '[]'
            FROM generate_series(0, %(n)s - 1) AS i
            """,
            {
                "order": order.pk,
                "listing": listing.pk,
                "supplier": supplier.pk,
                "prefix": PREFIX,
                "now": now,
                "n": n,
            },
        )
        cursor.execute("ANALYZE shipping_parcel")
    return now - timedelta(days=20)


def _stream(n: int) -> list[int]:
    """The events' numbers in posting order: every event once, 5% again, shuffled."""
    rng = random.Random(20261205)
    total = n * EVENTS_PER_PARCEL
    order = list(range(total)) + rng.sample(range(total), int(total * DUPLICATES))
    rng.shuffle(order)
    return order


def _batches(order: list[int], start: datetime, size: int) -> Iterator[list[Any]]:
    from shipping.services.tracking import TrackingInput

    for first in range(0, len(order), size):
        batch = []
        for number in order[first : first + size]:
            parcel, step = divmod(number, EVENTS_PER_PARCEL)
            code, note = (
                ["picked_up", "departed_origin", "arrived_destination", "customs_cleared", ""][
                    step
                ],
                "",
            )
            if not code:
                kind = parcel % 10
                code = (
                    "exception" if kind == 0 else "out_for_delivery" if kind == 1 else ("delivered")
                )
                note = "Address unknown" if kind == 0 else ""
            batch.append(
                TrackingInput(
                    tracking_number=f"{PREFIX}{parcel:010d}",
                    external_id=f"E{number}",
                    code=code,
                    occurred_at=start + timedelta(minutes=parcel % 1440, hours=HOURS[step]),
                    location="",
                    note=note,
                )
            )
        yield batch


def _floor(order: list[int], start: datetime, size: int) -> float:
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from shipping.models import Parcel

    parcel_type = ContentType.objects.get_for_model(Parcel).pk
    seconds = 0.0
    with connection.cursor() as cursor:
        for batch in _batches(order, start, size):
            started = time.perf_counter()
            with transaction.atomic():
                cursor.execute(
                    FLOOR_INSERT,
                    [
                        [e.tracking_number for e in batch],
                        [e.external_id for e in batch],
                        [e.code for e in batch],
                        [e.occurred_at for e in batch],
                        [e.location for e in batch],
                        [e.note for e in batch],
                    ],
                )
                ids = sorted({parcel_id for (parcel_id,) in cursor.fetchall()})
                if ids:
                    cursor.execute(FLOOR_UPDATE, {"ids": ids, "parcel_type": parcel_type})
            seconds += time.perf_counter() - started
    return seconds


def _service(order: list[int], start: datetime, size: int) -> tuple[float, int, int]:
    from shipping.services.tracking import tracking_record

    seconds, applied, duplicates = 0.0, 0, 0
    for batch in _batches(order, start, size):
        started = time.perf_counter()
        outcome = tracking_record(batch)
        seconds += time.perf_counter() - started
        applied += outcome.applied
        duplicates += outcome.duplicates
    return seconds, applied, duplicates


def _snapshot(cursor: Any, table: str) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(
        f"CREATE TABLE {table} AS SELECT id, {TRACKED} FROM shipping_parcel "
        f"WHERE tracking_number LIKE '{PREFIX}%%'"
    )


def _kinds(cursor: Any) -> dict[str, int]:
    cursor.execute(
        "SELECT kind, count(*) FROM marketplace_event WHERE kind LIKE 'parcel.%%' GROUP BY kind"
    )
    return dict(cursor.fetchall())


def _reset(cursor: Any) -> None:
    from django.db import DatabaseError, transaction

    cursor.execute("TRUNCATE shipping_trackingevent")
    cursor.execute("DELETE FROM marketplace_event WHERE kind LIKE 'parcel.%%'")
    cursor.execute(
        "UPDATE shipping_parcel SET status = 'created', picked_up_at = NULL, "
        "departed_origin_at = NULL, arrived_destination_at = NULL, customs_cleared_at = NULL, "
        "out_for_delivery_at = NULL, delivered_at = NULL, returned_at = NULL, "
        "exception_at = NULL, exception_note = ''"
    )
    for table in ("shipping_parcel", "shipping_trackingevent", "marketplace_event"):
        cursor.execute(f"VACUUM FULL ANALYZE {table}")
    # Not allowed for every role: the figures are noisier then, not wrong.
    with contextlib.suppress(DatabaseError), transaction.atomic():
        cursor.execute("CHECKPOINT")


def run() -> None:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("the tracking benchmark needs PostgreSQL (set DATABASE_URL)")
    n = int(os.environ.get("BENCH_TRACKING_PARCELS", "200000"))
    size = settings.TRACKING_BATCH_MAX
    started = time.perf_counter()
    start = _seed(n)
    order = _stream(n)
    print(
        f"seeded {n:,} parcels in {time.perf_counter() - started:.1f} s; posting "
        f"{len(order):,} events ({n * EVENTS_PER_PARCEL:,} distinct, "
        f"{len(order) - n * EVENTS_PER_PARCEL:,} repeats) in batches of {size:,}",
        flush=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # both: no LLVM compilation of the batch statements
        _reset(cursor)
    floor_seconds = _floor(order, start, size)
    with connection.cursor() as cursor:
        _snapshot(cursor, "bench_tracking_floor")
        floor_kinds = _kinds(cursor)
        _reset(cursor)
    service_seconds, applied, duplicates = _service(order, start, size)
    with connection.cursor() as cursor:
        _snapshot(cursor, "bench_tracking_service")
        service_kinds = _kinds(cursor)
        cursor.execute(
            "SELECT count(*) FROM ((SELECT * FROM bench_tracking_floor EXCEPT "
            "SELECT * FROM bench_tracking_service) UNION ALL (SELECT * FROM "
            "bench_tracking_service EXCEPT SELECT * FROM bench_tracking_floor)) AS diff"
        )
        differing = cursor.fetchone()[0]
        cursor.execute(
            "SELECT status, count(*) FROM bench_tracking_service GROUP BY status ORDER BY 1"
        )
        states = ", ".join(f"{status} {count:,}" for status, count in cursor.fetchall())
        cursor.execute("DROP TABLE bench_tracking_floor, bench_tracking_service")
    events = len(order)
    print(
        f"floor (INSERT ... ON CONFLICT + set-based UPDATE)  {floor_seconds:8.2f} s   "
        f"{events / floor_seconds:,.0f} events/s"
    )
    print(
        f"tracking_record()                                  {service_seconds:8.2f} s   "
        f"{events / service_seconds:,.0f} events/s; {applied:,} applied, "
        f"{duplicates:,} duplicates"
    )
    print(
        f"ratio service / floor                              {service_seconds / floor_seconds:8.2f}"
        "     (goal <= 2)"
    )
    print(f"parcels: {states}")
    print(f"events recorded: {dict(sorted(service_kinds.items()))}")
    same = differing == 0 and floor_kinds == service_kinds
    print(f"the same parcel states and events as the floor: {'yes' if same else 'NO'}", flush=True)
    if not same or applied != n * EVENTS_PER_PARCEL:
        raise SystemExit(
            f"the service and the floor disagree ({differing} parcels differ; events "
            f"{floor_kinds} vs {service_kinds}), or not every event was applied"
        )
