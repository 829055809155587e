"""Carriers' tracking events, applied in bulk: store each event once (its carrier's id makes a
repeat change nothing), then recompute the touched parcels' state and milestone times from all
their events, by the rule of shipping.selectors.tracking, and record a `parcel.<status>` event
per parcel whose status moved. On PostgreSQL a batch is a fixed handful of statements whatever
its size (the parcels looked up and locked, the events inserted, the parcels recomputed, the
status moves recorded with their webhook deliveries); elsewhere the same rule runs in Python.
bench/tracking_events.py holds it against a hand-written floor."""

from __future__ import annotations

# The statements are built from our own constants (codes, column names), never from input.
# ruff: noqa: S608
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import NewEvent, record_events_set

from ..models import Milestone, Parcel, TrackingEvent
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


# One parcel's change, as the refresh returns it: (parcel, status before, status after,
# supplier, tracking number, the time of the status now, the latest exception's note).
Change = tuple[int, str, str, int, str, datetime | None, str]


def tracking_check(events: Sequence[TrackingInput]) -> None:
    """Refuse the whole batch, before anything is written, when it is empty or over
    TRACKING_BATCH_MAX, or when an event has an unknown code or a time that is naive or more
    than SCAN_CLOCK_SKEW_SECONDS in the future; each event at fault is named by its place
    (`events[3].occurred_at`)."""
    if not events:
        message = _("Send at least one event.")
        raise DomainError(
            "empty_batch", message, kind=ErrorKind.INVALID, fields={"events": message}
        )
    if len(events) > settings.TRACKING_BATCH_MAX:
        message = _("At most %(max)d events a request.") % {"max": settings.TRACKING_BATCH_MAX}
        raise DomainError(
            "batch_too_large", message, kind=ErrorKind.INVALID, fields={"events": message}
        )
    latest = timezone.now() + timedelta(seconds=settings.SCAN_CLOCK_SKEW_SECONDS)
    codes = set(Milestone.values)
    wrong_code: dict[str, list[str]] = {}
    future: dict[str, list[str]] = {}
    for index, event in enumerate(events):
        if event.code not in codes:
            wrong_code[f"events[{index}].code"] = [_("Not a tracking event code.")]
        if timezone.is_naive(event.occurred_at):
            future[f"events[{index}].occurred_at"] = [_("Give the time with its UTC offset.")]
        elif event.occurred_at > latest:
            future[f"events[{index}].occurred_at"] = [_("This time is in the future.")]
    if wrong_code:
        raise DomainError(
            "unknown_code",
            _("Some events have a code that is not a tracking event's."),
            kind=ErrorKind.INVALID,
            fields=wrong_code,
        )
    if future:
        raise DomainError(
            "occurred_in_future",
            _("Some events are stamped in the future."),
            kind=ErrorKind.INVALID,
            fields=future,
        )


def tracking_record(
    events: Sequence[TrackingInput], *, actor: User | None = None
) -> TrackingOutcome:
    """Apply a batch of carriers' events in one transaction; events for unknown tracking
    numbers are reported back, the rest applied. A batch with an event at fault
    (`tracking_check`) is refused whole."""
    tracking_check(events)
    outcome = TrackingOutcome()
    numbers = sorted({event.tracking_number for event in events})
    with transaction.atomic():
        # The parcels are locked before their events are read: a batch touching the same
        # parcel in another transaction waits, and its recomputation (a later statement, a
        # later snapshot) sees these events as well. In id order, so two batches never
        # deadlock. `<> ''` as the unique index's own condition, so that PostgreSQL may use it
        # whatever the number of tracking numbers asked.
        parcel_ids = dict(
            Parcel.objects.filter(tracking_number__in=numbers)
            .exclude(tracking_number="")
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("tracking_number", "id")
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
        if connection.vendor == "postgresql":
            touched = _insert_sql(rows, outcome)
        else:
            touched = _insert_orm(rows, outcome)
        if touched:
            changes = _refresh(sorted(touched))
            outcome.changed = [change[0] for change in changes]
            _record(changes, actor)
    return outcome


def parcels_refresh(
    parcel_ids: Iterable[int], *, actor: User | None = None
) -> list[tuple[int, str, str]]:
    """Recompute the parcels' state and milestone times from their events (and record the
    status moves, as tracking_record does); returns (parcel, status before, status after) for
    each parcel that changed."""
    ids = sorted(set(parcel_ids))
    if not ids:
        return []
    with transaction.atomic():
        list(
            Parcel.objects.filter(pk__in=ids)
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )
        changes = _refresh(ids)
        _record(changes, actor)
    return [(parcel_id, before, after) for parcel_id, before, after, *_rest in changes]


def _refresh(ids: list[int]) -> list[Change]:
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
    moved_at = " ".join(f"WHEN '{code}' THEN p.{column}" for code, column in TIME_FIELD.items())
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
)
UPDATE shipping_parcel p SET
    {assignments}
FROM d JOIN shipping_parcel old ON old.id = d.parcel_id
WHERE p.id = d.parcel_id
    AND ({compared}) IS DISTINCT FROM ({derived})
RETURNING p.id, old.status, p.status, p.supplier_id, p.tracking_number,
    CASE p.status {moved_at} WHEN 'exception' THEN p.exception_at END, p.exception_note
"""


_REFRESH = _refresh_statement()


def _refresh_sql(ids: list[int]) -> list[Change]:
    with connection.cursor() as cursor:
        cursor.execute(_REFRESH, [ids])
        return [tuple(row) for row in cursor.fetchall()]


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


def _refresh_orm(ids: list[int]) -> list[Change]:
    seen: dict[int, list[Seen]] = {parcel_id: [] for parcel_id in ids}
    for parcel_id, code, occurred_at, external_id, note in TrackingEvent.objects.filter(
        parcel_id__in=ids
    ).values_list("parcel_id", "code", "occurred_at", "external_id", "note"):
        seen[parcel_id].append(Seen(code, occurred_at, external_id, note))
    changes = []
    for parcel in Parcel.objects.filter(pk__in=ids).order_by("pk"):
        values = track_of(seen[parcel.pk]).values()
        if all(getattr(parcel, name) == value for name, value in values.items()):
            continue
        before = parcel.status
        for name, value in values.items():
            setattr(parcel, name, value)
        parcel.save(update_fields=list(values))
        moved_at = getattr(parcel, TIME_FIELD.get(parcel.status, "exception_at"))
        changes.append(
            (
                parcel.pk,
                before,
                parcel.status,
                parcel.supplier_id,
                parcel.tracking_number,
                moved_at,
                parcel.exception_note,
            )
        )
    return changes


def _record(changes: list[Change], actor: User | None) -> None:
    """One event per parcel whose status moved (`parcel.<status>`), for webhooks and the
    supplier's notifications, written set-based: its `at` is the time of the new status, and an
    exception carries the carrier's note as its reason."""
    record_events_set(
        NewEvent(
            f"parcel.{after}",
            actor=actor,
            supplier_id=supplier_id,
            subject_ref=(Parcel, parcel_id),
            reason=note if after == Parcel.Status.EXCEPTION else "",
            payload={
                "tracking_number": number,
                "from": before,
                "to": after,
                "at": at.isoformat() if at is not None else None,
            },
        )
        for parcel_id, before, after, supplier_id, number, at, note in changes
        if before != after
    )
