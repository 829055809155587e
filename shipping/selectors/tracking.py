"""What a parcel's tracking events say about it (SPEC, "Outbound parcels": events may arrive
late, twice or out of order, and the parcel's state is still right).

The state is a function of the SET of the parcel's events, never of their arrival order:
- each milestone's time is the earliest event of that code;
- the status is the furthest milestone reached (picked_up < departed_origin <
  arrived_destination < customs_cleared < out_for_delivery < returned < delivered), `created`
  before any;
- `exception` is the status only while the latest exception is later than every other event and
  the parcel is neither delivered nor returned: an exception never erases a later milestone, and
  delivered holds.
`shipping.services.tracking` applies the same rule in one SQL statement; this is its plain
reading, used on databases without that statement and by the property tests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..models import Milestone, Parcel

# The order milestones are reached in; `exception` has no rank.
RANK: dict[str, int] = {
    Milestone.PICKED_UP: 1,
    Milestone.DEPARTED_ORIGIN: 2,
    Milestone.ARRIVED_DESTINATION: 3,
    Milestone.CUSTOMS_CLEARED: 4,
    Milestone.OUT_FOR_DELIVERY: 5,
    Milestone.RETURNED: 6,
    Milestone.DELIVERED: 7,
}
FINAL = frozenset({Milestone.DELIVERED.value, Milestone.RETURNED.value})
# The parcel field holding each milestone's time.
TIME_FIELD: dict[str, str] = {code: f"{code}_at" for code in RANK}
TRACKED_FIELDS = ("status", *TIME_FIELD.values(), "exception_at", "exception_note")


@dataclass(frozen=True)
class Seen:
    """One event as the rule reads it. `external_id` breaks ties between exceptions at the same
    moment, so that the note shown does not depend on arrival order either."""

    code: str
    occurred_at: datetime
    external_id: str = ""
    note: str = ""


@dataclass
class Track:
    status: str = Parcel.Status.CREATED
    times: dict[str, datetime | None] = field(
        default_factory=lambda: dict.fromkeys(TIME_FIELD.values())
    )
    exception_at: datetime | None = None
    exception_note: str = ""

    def values(self) -> dict[str, object]:
        return {
            "status": self.status,
            **self.times,
            "exception_at": self.exception_at,
            "exception_note": self.exception_note,
        }


def track_of(events: Iterable[Seen]) -> Track:
    """The parcel's state and milestone times from its events (any order, repeats allowed)."""
    track = Track()
    furthest = 0
    last_progress: datetime | None = None
    latest_exception: Seen | None = None
    for event in events:
        if event.code == Milestone.EXCEPTION:
            if latest_exception is None or (event.occurred_at, event.external_id) > (
                latest_exception.occurred_at,
                latest_exception.external_id,
            ):
                latest_exception = event
            continue
        name = TIME_FIELD[event.code]
        known = track.times[name]
        if known is None or event.occurred_at < known:
            track.times[name] = event.occurred_at
        if last_progress is None or event.occurred_at > last_progress:
            last_progress = event.occurred_at
        furthest = max(furthest, RANK[event.code])
    status = next((code for code, rank in RANK.items() if rank == furthest), None)
    track.status = status or Parcel.Status.CREATED
    if latest_exception is not None:
        track.exception_at = latest_exception.occurred_at
        track.exception_note = latest_exception.note
        if track.status not in FINAL and (
            last_progress is None or latest_exception.occurred_at > last_progress
        ):
            track.status = Parcel.Status.EXCEPTION
    return track
