"""Carriers' tracking events, applied in bulk: store each event once (its carrier's id makes a
repeat change nothing), then recompute the touched parcels' state and milestone times from all
their events, by the rule of shipping.selectors.tracking. On PostgreSQL both steps are one
statement each, whatever the batch size; elsewhere the same rule runs in Python."""

from __future__ import annotations

# The statements are built from our own constants (codes, column names), never from input.
# ruff: noqa: S608
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from marketplace.events import NewEvent, record_events

from ..models import Parcel, TrackingEvent
from ..selectors.tracking import FINAL, RANK, TIME_FIELD, TRACKED_FIELDS, Seen, track_of


@dataclass(frozen=True)
class TrackingInput:
    """One event as a carrier reports it (already checked for shape by the door)."""

    tracking_number: str
    external_id: str
    code: str
    occurred_at: datetime
    location: str = ""
    note: str = ""


@dataclass
class TrackingOutcome:
    # Events stored for the first time, and repeats of events already stored.
    applied: int = 0
    duplicates: int = 0
    # (index in the batch, tracking number) of events naming no parcel: nothing stored.
    unknown: list[tuple[int, str]] = field(default_factory=list)
    # Parcels whose state or a milestone time changed.
    changed: list[int] = field(default_factory=list)


def tracking_record(
    events: Sequence[TrackingInput], *, actor: User | None = None
) -> TrackingOutcome:
    """Apply a batch of carriers' events in one transaction; events for unknown tracking
    numbers are reported back, the rest applied."""
    outcome = TrackingOutcome()
    numbers = {event.tracking_number for event in events}
    parcel_ids = dict(
        Parcel.objects.filter(tracking_number__in=numbers).values_list("tracking_number", "id")
    )
    rows = []
    for index, event in enumerate(events):
        parcel_id = parcel_ids.get(event.tracking_number)
        if parcel_id is None:
            outcome.unknown.append((index, event.tracking_number))
        else:
            rows.append((parcel_id, event))
    if not rows:
        return outcome
    with transaction.atomic():
        if connection.vendor == "postgresql":
            touched = _insert_sql(rows, outcome)
        else:
            touched = _insert_orm(rows, outcome)
        if touched:
            changes = parcels_refresh(touched)
            outcome.changed = [parcel_id for parcel_id, _before, _after in changes]
            _record(changes, actor)
    return outcome


def parcels_refresh(parcel_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """Recompute the parcels' state and milestone times from their events; returns (parcel,
    status before, status after) for each parcel that changed."""
    ids = sorted(set(parcel_ids))
    if not ids:
        return []
    if connection.vendor == "postgresql":
        return _refresh_sql(ids)
    return _refresh_orm(ids)


# --- PostgreSQL: one statement to store, one to recompute -------------------------------------

_INSERT = """
INSERT INTO shipping_trackingevent
    (parcel_id, external_id, code, occurred_at, location, note, received_at)
SELECT p, e, c, o, l, n, %s
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::text[])
    AS t(p, e, c, o, l, n)
ON CONFLICT (parcel_id, external_id) DO NOTHING
RETURNING parcel_id
"""


def _insert_sql(rows: list[tuple[int, TrackingInput]], outcome: TrackingOutcome) -> set[int]:
    columns: list[list[object]] = [[], [], [], [], [], []]
    for parcel_id, event in rows:
        for column, value in zip(
            columns,
            (
                parcel_id,
                event.external_id,
                event.code,
                event.occurred_at,
                event.location,
                event.note,
            ),
            strict=True,
        ):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [timezone.now(), *columns])
        inserted = [parcel_id for (parcel_id,) in cursor.fetchall()]
    outcome.applied = len(inserted)
    outcome.duplicates = len(rows) - len(inserted)
    return set(inserted)


def _rank_case() -> str:
    whens = " ".join(f"WHEN '{code}' THEN {rank}" for code, rank in RANK.items())
    return f"CASE code {whens} ELSE 0 END"


def _refresh_statement() -> str:
    firsts = ",\n        ".join(
        f"min(occurred_at) FILTER (WHERE code = '{code}') AS {column}"
        for code, column in TIME_FIELD.items()
    )
    status_of_rank = " ".join(f"WHEN {rank} THEN '{code}'" for code, rank in RANK.items())
    final = ", ".join(str(RANK[code]) for code in FINAL)
    assignments = ",\n    ".join(f"{name} = d.{name}" for name in TRACKED_FIELDS)
    compared = ", ".join(f"p.{name}" for name in TRACKED_FIELDS)
    derived = ", ".join(f"d.{name}" for name in TRACKED_FIELDS)
    return f"""
WITH agg AS (
    SELECT parcel_id,
        {firsts},
        max({_rank_case()}) AS furthest,
        max(occurred_at) FILTER (WHERE code <> 'exception') AS last_progress,
        max(occurred_at) FILTER (WHERE code = 'exception') AS exception_at,
        coalesce((array_agg(note ORDER BY occurred_at DESC, external_id DESC)
            FILTER (WHERE code = 'exception'))[1], '') AS exception_note
    FROM shipping_trackingevent
    WHERE parcel_id = ANY(%s)
    GROUP BY parcel_id
),
d AS (
    SELECT agg.*,
        CASE
            WHEN furthest NOT IN ({final}) AND exception_at IS NOT NULL
                AND (last_progress IS NULL OR exception_at > last_progress) THEN 'exception'
            ELSE CASE furthest {status_of_rank} ELSE 'created' END
        END AS status
    FROM agg
),
old AS (
    SELECT id, status FROM shipping_parcel WHERE id = ANY(%s) ORDER BY id FOR UPDATE
)
UPDATE shipping_parcel p SET
    {assignments}
FROM d, old
WHERE p.id = d.parcel_id AND old.id = p.id
    AND ({compared}) IS DISTINCT FROM ({derived})
RETURNING p.id, old.status, p.status
"""


_REFRESH = _refresh_statement()


def _refresh_sql(ids: list[int]) -> list[tuple[int, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH, [ids, ids])
        return [(parcel_id, before, after) for parcel_id, before, after in cursor.fetchall()]


# --- Other databases: the same rule through the ORM -------------------------------------------


def _insert_orm(rows: list[tuple[int, TrackingInput]], outcome: TrackingOutcome) -> set[int]:
    parcel_ids = {parcel_id for parcel_id, _event in rows}
    known = set(
        TrackingEvent.objects.filter(parcel_id__in=parcel_ids).values_list(
            "parcel_id", "external_id"
        )
    )
    now = timezone.now()
    new: list[TrackingEvent] = []
    for parcel_id, event in rows:
        key = (parcel_id, event.external_id)
        if key in known:
            outcome.duplicates += 1
            continue
        known.add(key)
        new.append(
            TrackingEvent(
                parcel_id=parcel_id,
                external_id=event.external_id,
                code=event.code,
                occurred_at=event.occurred_at,
                location=event.location,
                note=event.note,
                received_at=now,
            )
        )
    TrackingEvent.objects.bulk_create(new)
    outcome.applied = len(new)
    return {row.parcel_id for row in new}


def _refresh_orm(ids: list[int]) -> list[tuple[int, str, str]]:
    seen: dict[int, list[Seen]] = {parcel_id: [] for parcel_id in ids}
    for parcel_id, code, occurred_at, external_id, note in TrackingEvent.objects.filter(
        parcel_id__in=ids
    ).values_list("parcel_id", "code", "occurred_at", "external_id", "note"):
        seen[parcel_id].append(Seen(code, occurred_at, external_id, note))
    changes = []
    for parcel in Parcel.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        values = track_of(seen[parcel.pk]).values()
        if all(getattr(parcel, name) == value for name, value in values.items()):
            continue
        before = parcel.status
        for name, value in values.items():
            setattr(parcel, name, value)
        parcel.save(update_fields=list(values))
        changes.append((parcel.pk, before, parcel.status))
    return changes


def _record(changes: list[tuple[int, str, str]], actor: User | None) -> None:
    """One event per parcel whose status moved (`parcel.<status>`), for webhooks and the
    supplier's notifications."""
    moved = {parcel_id: (before, after) for parcel_id, before, after in changes if before != after}
    if not moved:
        return
    parcels = Parcel.objects.filter(pk__in=moved).only(
        "id", "supplier_id", "tracking_number", *TIME_FIELD.values(), "exception_at"
    )
    record_events(
        NewEvent(
            f"parcel.{moved[parcel.pk][1]}",
            actor=actor,
            supplier_id=parcel.supplier_id,
            subject=parcel,
            payload={
                "tracking_number": parcel.tracking_number,
                "from": moved[parcel.pk][0],
                "to": moved[parcel.pk][1],
            },
        )
        for parcel in parcels
    )
