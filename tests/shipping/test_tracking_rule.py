"""The tracking rule: a parcel's state and milestone times follow from the set of its events,
whatever order they arrive in, repeated or not; the SQL statement and the plain rule agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipping.models import Milestone, Parcel
from shipping.selectors.tracking import TRACKED_FIELDS, Seen, track_of
from shipping.services.tracking import TrackingInput, parcels_refresh, tracking_record
from tests.factories.shipping import parcel

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_the_furthest_milestone_wins_and_each_keeps_its_earliest_time() -> None:
    track = track_of(
        [
            Seen("arrived_destination", at(50)),
            Seen("picked_up", at(1)),
            Seen("picked_up", at(3)),
            Seen("departed_origin", at(10)),
        ]
    )
    assert track.status == "arrived_destination"
    assert track.times["picked_up_at"] == at(1)
    assert track.times["customs_cleared_at"] is None


def test_an_exception_shows_only_while_nothing_happened_after_it() -> None:
    early = [Seen("out_for_delivery", at(100)), Seen("exception", at(90), "x1", "Address")]
    assert track_of(early).status == "out_for_delivery"
    late = [Seen("out_for_delivery", at(100)), Seen("exception", at(110), "x1", "Address")]
    track = track_of(late)
    assert (track.status, track.exception_at, track.exception_note) == (
        "exception",
        at(110),
        "Address",
    )
    retried = [*late, Seen("out_for_delivery", at(120))]
    assert track_of(retried).status == "out_for_delivery"


def test_delivered_holds_against_a_later_exception_or_return() -> None:
    events = [
        Seen("delivered", at(200)),
        Seen("exception", at(300), "x"),
        Seen("returned", at(310)),
    ]
    assert track_of(events).status == "delivered"


events_strategy = st.lists(
    st.tuples(
        st.sampled_from([m.value for m in Milestone]),
        st.integers(min_value=0, max_value=400),
        st.sampled_from(["", "Address unknown", "Customs hold"]),
    ),
    min_size=0,
    max_size=12,
)


@given(events=events_strategy, data=st.data())
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@pytest.mark.django_db
def test_any_arrival_order_and_repeats_give_the_state_of_the_sorted_unique_events(
    events: list[tuple[str, int, str]], data: st.DataObject
) -> None:
    inputs = [
        TrackingInput("TMPROP", f"e{i}", code, at(hour), note=note)
        for i, (code, hour, note) in enumerate(events)
    ]
    shuffled = data.draw(st.permutations(inputs))
    repeats = data.draw(st.lists(st.sampled_from(inputs), max_size=5)) if inputs else []
    Parcel.objects.filter(tracking_number="TMPROP").delete()
    target = parcel(tracking_number="TMPROP")
    for start in range(0, len(shuffled), 3):  # in several batches, repeats among them
        tracking_record([*shuffled[start : start + 3], *repeats[start // 3 : start // 3 + 1]])
    target.refresh_from_db()
    expected = track_of(
        Seen(e.code, e.occurred_at, e.external_id, e.note)
        for e in sorted(inputs, key=lambda e: e.occurred_at)
    ).values()
    assert {name: getattr(target, name) for name in TRACKED_FIELDS} == expected
    assert target.events.count() == len(inputs)


@pytest.mark.django_db
def test_unknown_tracking_numbers_are_reported_and_the_rest_applied() -> None:
    target = parcel(tracking_number="TMKNOWN")
    outcome = tracking_record(
        [
            TrackingInput("NOPE", "a", "picked_up", at(1)),
            TrackingInput("TMKNOWN", "b", "picked_up", at(1)),
            TrackingInput("TMKNOWN", "b", "picked_up", at(1)),
        ]
    )
    assert outcome.unknown == [(0, "NOPE")]
    assert (outcome.applied, outcome.duplicates, outcome.changed) == (1, 1, [target.pk])
    target.refresh_from_db()
    assert target.status == "picked_up"
    assert parcels_refresh([target.pk]) == []  # nothing left to change
