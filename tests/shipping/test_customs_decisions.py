"""Customs decisions written for parcels (shipping.services.customs): judged on the ship date
(departed origin, else picked up, else today), replayed on a past date with the past rule,
written for many parcels at once with a fixed number of queries, and re-judged by the beat job
only when missing or when the ship date moved."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from customs.selectors.judge import Outcome
from shipping.models import CustomsDecision, Parcel, ParcelItem
from shipping.services.customs import customs_decide_due, parcels_decide, parcels_due_for_decision
from shipping.tasks import customs_decide_due_task
from tests.factories.shipping import consumer_order, parcel

pytestmark = pytest.mark.django_db


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def test_a_parcel_is_judged_on_the_day_it_departed_origin():
    made = parcel(
        consumer_order(market="US", unit_price="20.00"),
        picked_up_at=at(date(2025, 8, 28)),
        departed_origin_at=at(date(2025, 8, 29)),
    )
    assert parcels_decide([made.pk]) == 1
    decision = CustomsDecision.objects.get(parcel=made)
    assert decision.ship_date == date(2025, 8, 29)
    assert decision.outcome == Outcome.ENTRY
    assert decision.rule is not None
    assert decision.rule.effective_from == date(2025, 8, 29)
    assert decision.currency == "USD"
    assert decision.customs_value == Decimal("20.00")
    assert decision.arithmetic[-1]["step"] == "total"


def test_before_departure_the_pickup_day_counts_and_before_pickup_today():
    picked = parcel(picked_up_at=at(date(2025, 5, 1)))
    waiting = parcel()
    parcels_decide(Parcel.objects.filter(pk__in=[picked.pk, waiting.pk]))
    assert CustomsDecision.objects.get(parcel=picked).ship_date == date(2025, 5, 1)
    assert CustomsDecision.objects.get(parcel=waiting).ship_date == timezone.localdate()


@pytest.mark.parametrize(
    ("day", "outcome"),
    [
        (date(2025, 5, 1), Outcome.DE_MINIMIS),
        (date(2025, 5, 2), Outcome.ENTRY),
        (date(2025, 8, 29), Outcome.ENTRY),
    ],
)
def test_a_replay_on_a_past_date_gives_that_dates_rule(day, outcome):
    made = parcel(departed_origin_at=at(date(2026, 3, 1)))
    parcels_decide([made.pk], ship_date=day)
    decision = CustomsDecision.objects.get(parcel=made)
    assert (decision.ship_date, decision.outcome) == (day, outcome)


def test_deciding_again_updates_the_one_decision():
    made = parcel(consumer_order(market="EU", unit_price="40.00"))
    parcels_decide([made.pk], ship_date=date(2026, 6, 30))
    parcels_decide([made.pk], ship_date=date(2026, 7, 1))
    decision = CustomsDecision.objects.get(parcel=made)
    assert decision.outcome == Outcome.FLAT_DUTY
    assert decision.duty == Decimal("3.00")
    assert decision.tax_at_sale is True
    assert CustomsDecision.objects.count() == 1


@override_settings(PLATFORM_IOSS_REGISTERED=False)
def test_the_platforms_ioss_registration_is_read_from_the_settings():
    made = parcel(consumer_order(market="EU", unit_price="40.00"))
    parcels_decide([made.pk], ship_date=date(2026, 7, 1))
    assert CustomsDecision.objects.get(parcel=made).outcome == Outcome.ENTRY


def test_all_items_of_a_parcel_count():
    made = parcel(consumer_order(market="US", unit_price="500.00"))
    first = made.items.get()
    ParcelItem.objects.create(
        parcel=made,
        product=first.product,
        description="second",
        hs_code="850440",
        origin_country="VN",
        quantity=1,
        unit_value=Decimal("400.00"),
        weight_g=100,
    )
    parcels_decide([made.pk], ship_date=date(2025, 1, 1))
    decision = CustomsDecision.objects.get(parcel=made)
    assert decision.customs_value == Decimal("900.00")
    assert decision.outcome == Outcome.ENTRY


def test_many_parcels_take_the_same_queries_as_few(django_assert_max_num_queries):
    made = [
        parcel(departed_origin_at=at(date(2025, 5, 1) + timedelta(days=i % 2))) for i in range(2)
    ]
    with django_assert_max_num_queries(15) as few:
        parcels_decide([p.pk for p in made])
    more = [
        parcel(departed_origin_at=at(date(2025, 5, 1) + timedelta(days=i % 2))) for i in range(10)
    ]
    with django_assert_max_num_queries(len(few.captured_queries)):
        parcels_decide([p.pk for p in [*made, *more]])
    assert CustomsDecision.objects.count() == 12
    assert set(CustomsDecision.objects.values_list("outcome", flat=True)) == {"de_minimis", "entry"}


def test_the_job_decides_parcels_without_a_decision_or_whose_ship_date_moved():
    undecided = parcel(picked_up_at=at(date(2025, 5, 1)))
    settled = parcel(picked_up_at=at(date(2025, 5, 1)))
    moved = parcel(picked_up_at=at(date(2025, 5, 1)))
    parcels_decide([settled.pk, moved.pk])
    Parcel.objects.filter(pk=moved.pk).update(departed_origin_at=at(date(2025, 5, 2)))
    assert set(parcels_due_for_decision().values_list("pk", flat=True)) == {undecided.pk, moved.pk}

    assert customs_decide_due_task() == "2 customs decisions"
    assert CustomsDecision.objects.get(parcel=moved).outcome == Outcome.ENTRY
    assert CustomsDecision.objects.get(parcel=undecided).outcome == Outcome.DE_MINIMIS
    assert customs_decide_due() == 0


def test_decision_outcomes_are_the_judgements():
    assert set(CustomsDecision.Outcome.values) == {outcome.value for outcome in Outcome}
