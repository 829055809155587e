"""The daily sampling draw (logistics/services/test_purchases.py): weights from the risk factors,
the distribution of picks, the budget, the replay from the seed, one draw a day, and a query
count that does not grow with the listings."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalogue.models import Category, Listing
from compliance.models import SamplingDraw, SamplingRequest, TestRecord
from logistics.services.test_purchases import (
    OVER_BUDGET,
    PICKED,
    choose,
    day_allowance,
    sampling_candidates,
    sampling_draw,
    sampling_draw_replay,
    weigh,
)
from logistics.tasks import draw_test_purchases_task
from marketplace.models import Event, JobRun
from marketplace.schedule import PERIODIC_JOBS
from suppliers.models import Scorecard
from tests.factories.catalogue import CategoryFactory
from tests.factories.compliance import TestRecordFactory

from .sampling_helpers import category_with_lab_test, live_listing

pytestmark = pytest.mark.django_db

END_OF_MONTH = date(2026, 12, 31)  # the whole month's budget is allowed on its last day


# --- The weight ---------------------------------------------------------------------------------


def test_the_weight_is_the_product_of_its_factors():
    weight, factors = weigh(
        risk="high",
        return_rate=Decimal("0.05"),
        return_source="ledger",
        standing="poor",
        days_since_pass=None,
        failures=1,
    )
    # 3 (high) * 1.5 (5 % returns) * 1.5 (poor) * 2 (never passed) * 2 (one failure)
    assert weight == Decimal("27.000000")
    assert factors["risk_factor"] == "3"
    assert factors["returns_factor"] == "1.500000"
    assert factors["standing_factor"] == "1.500000"
    assert factors["staleness_factor"] == "2.000000"
    assert factors["failures_factor"] == "2"


def test_a_neutral_low_risk_listing_tested_today_weighs_one():
    weight, factors = weigh(
        risk="low",
        return_rate=None,
        return_source="none",
        standing="new",
        days_since_pass=0,
        failures=0,
    )
    assert weight == Decimal("1.000000")
    assert factors["return_source"] == "none"


@pytest.mark.parametrize(
    ("standing", "factor"),
    [("excellent", "0.75"), ("good", "1"), ("new", "1"), ("poor", "1.5"), ("very_poor", "2")],
)
def test_the_standing_factor_is_the_settings_weight_of_the_standing(standing, factor):
    weight, factors = weigh(
        risk="low",
        return_rate=None,
        return_source="none",
        standing=standing,
        days_since_pass=0,
        failures=0,
    )
    assert weight == Decimal(factor)
    assert factors["standing"] == standing


def test_the_standing_factor_follows_the_setting(settings):
    settings.STANDING_SAMPLING_WEIGHT = {**settings.STANDING_SAMPLING_WEIGHT, "poor": Decimal("3")}
    weight, _ = weigh(
        risk="low",
        return_rate=None,
        return_source="none",
        standing="poor",
        days_since_pass=0,
        failures=0,
    )
    assert weight == Decimal("3")


def test_the_candidates_carry_every_factor_from_the_data():
    high, standard = category_with_lab_test(Category.Risk.HIGH)
    low, _ = category_with_lab_test(Category.Risk.LOW, cost="400.00")
    risky = live_listing(high)
    Scorecard.objects.create(
        supplier=risky.supplier, score=Decimal("50"), standing="poor", return_rate="0.1000"
    )
    TestRecordFactory(
        product=risky.product,
        supplier=risky.supplier,
        standard=standard,
        result=TestRecord.Result.FAIL,
    )
    TestRecordFactory(
        product=risky.product,
        supplier=risky.supplier,
        standard=standard,
        issued_on=END_OF_MONTH - timedelta(days=73),
    )
    calm = live_listing(low)
    live_listing(high, status=Listing.Status.PAUSED)  # not live: no candidate

    found = {c.listing.pk: c for c in sampling_candidates(END_OF_MONTH)}

    assert set(found) == {risky.pk, calm.pk}
    assert found[risky.pk].factors == {
        "risk": "high",
        "risk_factor": "3",
        "return_rate": "0.1000",
        "return_source": "scorecard",  # no sales in the ledger yet
        "returns_factor": "2.000000",
        "standing": "poor",
        "standing_factor": "1.500000",
        "days_since_pass": 73,
        "staleness_factor": "1.200000",
        "failures": 1,
        "failures_factor": "2",
    }
    assert found[risky.pk].weight == Decimal("21.600000")  # 3 * 2 * 1.5 * 1.2 * 2
    assert found[risky.pk].cost == Decimal("1000.00")
    assert found[calm.pk].weight == Decimal("2.000000")  # never tested
    assert found[calm.pk].cost == Decimal("400.00")


def test_a_listing_with_an_open_request_or_nothing_to_test_is_no_candidate():
    high, _ = category_with_lab_test()
    live_listing(high)
    sampling_draw(on=END_OF_MONTH, seed=1)
    uncategory_with_lab_test, _ = category_with_lab_test(
        market="EU"
    )  # sells in the US only: nothing to test
    live_listing(uncategory_with_lab_test)

    assert sampling_candidates(END_OF_MONTH + timedelta(days=1)) == []


def test_the_categorys_own_programme_replaces_its_parents_which_replaces_the_general_one():
    from tests.factories.compliance import RequirementFactory, StandardFactory, TestProgrammeFactory

    general = StandardFactory(market="US", test_cost_cny="100.00")
    RequirementFactory(programme=TestProgrammeFactory(category=None, market="US"), standard=general)
    parent, parents_own = category_with_lab_test(cost="200.00")
    child, childs_own = category_with_lab_test(cost="300.00")
    child.parent = parent
    child.save()
    orphan = CategoryFactory(risk_level=Category.Risk.LOW)
    in_child = live_listing(child)
    in_orphan = live_listing(orphan)
    in_child_of_parent = live_listing(CategoryFactory(parent=parent))

    found = {c.listing.pk: c for c in sampling_candidates(END_OF_MONTH)}

    assert found[in_child.pk].standards == [childs_own]
    assert found[in_child_of_parent.pk].standards == [parents_own]
    assert found[in_orphan.pk].standards == [general]
    assert found[in_orphan.pk].cost == Decimal("100.00")


# --- The distribution ---------------------------------------------------------------------------

# The chi-square statistic's 0.1 % critical values (a fixed set of seeds: the test is
# deterministic; a correct sampler passes it by a wide margin).
CHI2_CRITICAL_0_001 = {3: 16.27, 5: 20.52, 9: 27.88}


def _chi_square(observed: dict[int, int], expected: dict[int, float]) -> float:
    return sum((observed.get(k, 0) - e) ** 2 / e for k, e in expected.items())


def test_the_first_pick_is_drawn_in_proportion_to_its_weight():
    weights = {pk: Decimal(pk) for pk in range(1, 11)}  # 1 ... 10
    candidates = {pk: (w, "100.00") for pk, w in weights.items()}
    runs = 5500
    counts: dict[int, int] = {}
    for seed in range(runs):
        [first] = choose(seed, candidates, Decimal("100.00")).picked
        counts[first] = counts.get(first, 0) + 1
    total = sum(weights.values())
    expected = {pk: runs * float(w / total) for pk, w in weights.items()}
    assert _chi_square(counts, expected) < CHI2_CRITICAL_0_001[9]


def test_picks_are_without_replacement_and_heavier_ones_come_first_more_often():
    candidates = {1: ("8", "10.00"), 2: ("1", "10.00"), 3: ("1", "10.00")}
    second_place = {1: 0, 2: 0, 3: 0}
    for seed in range(2000):
        picked = choose(seed, candidates, Decimal("20.00")).picked
        assert len(picked) == len(set(picked)) == 2
        second_place[picked[1]] += 1
    # Listing 1 is first 80 % of the time, so mostly one of the light ones comes second.
    assert second_place[1] < second_place[2] + second_place[3]


def test_high_risk_listings_are_drawn_about_three_times_as_often_as_low_risk():
    high, _ = category_with_lab_test(Category.Risk.HIGH)
    low, _ = category_with_lab_test(Category.Risk.LOW)
    risky = {live_listing(high).pk for _ in range(3)}
    calm = {live_listing(low).pk for _ in range(3)}
    found = sampling_candidates(END_OF_MONTH)
    candidates = {c.listing.pk: (c.weight, c.cost) for c in found}
    assert {candidates[pk][0] for pk in risky} == {Decimal("6")}  # 3 (high) * 2 (never tested)
    assert {candidates[pk][0] for pk in calm} == {Decimal("2")}

    runs = 4000
    drawn_high = sum(
        1 for seed in range(runs) if choose(seed, candidates, Decimal("1000.00")).picked[0] in risky
    )
    # Expected share 18 / 24 = 0.75; the binomial's sd over 4000 runs is 0.007: 5 sd either way.
    assert 0.715 < drawn_high / runs < 0.785


# --- The budget ---------------------------------------------------------------------------------


def test_the_day_allowance_spreads_the_month_and_rolls_over(settings):
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("31000.00")
    assert day_allowance(date(2026, 12, 1), Decimal("0")) == (
        Decimal("31000.00"),
        Decimal("1000.00"),
    )
    assert day_allowance(date(2026, 12, 5), Decimal("1000")) == (
        Decimal("30000.00"),
        Decimal("4000.00"),
    )
    # Ahead of the line: nothing today.
    assert day_allowance(date(2026, 12, 2), Decimal("5000")) == (
        Decimal("26000.00"),
        Decimal("0.00"),
    )
    assert day_allowance(date(2026, 12, 31), Decimal("31000")) == (Decimal("0.00"), Decimal("0.00"))


def test_the_draw_spends_no_more_than_the_allowance_and_passes_over_what_does_not_fit(settings):
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("2500.00")
    high, _ = category_with_lab_test(cost="1000.00")
    cheap, _ = category_with_lab_test(cost="300.00")
    for _ in range(4):
        live_listing(high)
    for _ in range(2):
        live_listing(cheap)

    draw = sampling_draw(on=END_OF_MONTH, seed=7)

    requests = list(draw.requests.all())
    spent = sum(r.cost_cny for r in requests)
    assert spent == draw.spent_cny <= draw.allowance_cny == Decimal("2500.00")
    assert len([r for r in requests if r.cost_cny == Decimal("1000.00")]) == 2
    outcomes = [entry["outcome"] for entry in draw.weights.values()]
    assert outcomes.count(PICKED) == len(requests)
    assert outcomes.count(OVER_BUDGET) == 6 - len(requests)
    # Whatever was passed over could not have fitted in what was left.
    left = draw.allowance_cny - spent
    assert all(
        Decimal(entry["cost"]) > left
        for entry in draw.weights.values()
        if entry["outcome"] == OVER_BUDGET
    )


def test_earlier_draws_of_the_month_reduce_the_budget_and_cancelled_requests_give_it_back(
    settings,
):
    from compliance.services.sampling import sampling_request_cancel

    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("3000.00")
    category, _ = category_with_lab_test(cost="1000.00")
    for _ in range(6):
        live_listing(category)
    first = sampling_draw(on=date(2026, 12, 30), seed=1)
    assert first.spent_cny == Decimal("2000.00")  # pro rata 2903.23: two tests of 1000
    assert first.requests.count() == 2
    sampling_request_cancel(first.requests.first(), reason="Listing discontinued", actor=None)

    second = sampling_draw(on=END_OF_MONTH, seed=2)

    assert second.budget_cny == Decimal("2000.00")  # 3000 less the one request not cancelled
    assert second.allowance_cny == Decimal("2000.00")
    assert second.spent_cny == Decimal("2000.00")


# --- Reproducible, once a day -------------------------------------------------------------------


def test_replaying_a_draw_from_its_seed_picks_the_same_listings(settings):
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("5000.00")
    high, _ = category_with_lab_test(cost="1000.00")
    low, _ = category_with_lab_test(Category.Risk.LOW, cost="700.00")
    for _ in range(6):
        live_listing(high)
        live_listing(low)

    draw = sampling_draw(on=END_OF_MONTH, seed=424242)
    draw.refresh_from_db()  # what was stored, not what was computed

    picked_in_order = [
        int(pk)
        for pk, entry in sorted(draw.weights.items(), key=lambda item: item[1]["rank"])
        if entry["outcome"] == PICKED
    ]
    assert sampling_draw_replay(draw) == picked_in_order
    assert set(picked_in_order) == set(draw.requests.values_list("listing_id", flat=True))
    # Another seed, another draw (with these many candidates, almost surely).
    draw.seed = 1
    assert sampling_draw_replay(draw) != picked_in_order


def test_every_candidate_is_stored_with_its_weight_factors_cost_and_outcome():
    category, standard = category_with_lab_test(cost="1000.00")
    listing = live_listing(category)
    draw = sampling_draw(on=END_OF_MONTH, seed=3)
    entry = draw.weights[str(listing.pk)]
    assert entry["weight"] == "6.000000"
    assert entry["cost"] == "1000.00"
    assert entry["standards"] == [standard.code]
    assert entry["markets"] == ["US"]
    assert entry["rank"] == 1
    assert entry["outcome"] == PICKED
    assert set(entry["factors"]) >= {"risk", "returns_factor", "standing", "days_since_pass"}
    [request] = draw.requests.all()
    assert request.weight == Decimal("6")
    assert request.factors == entry["factors"]
    assert list(request.standards.all()) == [standard]
    assert request.status == SamplingRequest.Status.PLANNED


def test_one_draw_a_day_a_second_call_returns_the_first():
    category, _ = category_with_lab_test()
    live_listing(category)
    first = sampling_draw(on=END_OF_MONTH, seed=11)
    live_listing(category)

    again = sampling_draw(on=END_OF_MONTH, seed=12)

    assert again.pk == first.pk
    assert again.seed == 11
    assert SamplingDraw.objects.count() == 1
    assert SamplingRequest.objects.count() == 1


def test_the_draw_plans_its_requests_with_events_the_supplier_does_not_get():
    category, _ = category_with_lab_test()
    listing = live_listing(category)
    draw = sampling_draw(on=END_OF_MONTH, seed=5)
    [event] = Event.objects.filter(kind="compliance.sampling_planned")
    assert event.supplier_id is None
    assert event.payload == {
        "listing": listing.pk,
        "draw": draw.pk,
        "weight": "6.000000",
        "cost": "1000.00",
    }


def test_the_draw_costs_the_same_queries_whatever_the_number_of_listings(settings):
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("1000000.00")
    high, standard = category_with_lab_test()
    low, _ = category_with_lab_test(Category.Risk.LOW)

    def add(n: int) -> None:
        for i in range(n):
            listing = live_listing(high if i % 2 else low)
            Scorecard.objects.create(
                supplier=listing.supplier, score=60, standing="poor", return_rate="0.02"
            )
            TestRecordFactory(product=listing.product, supplier=listing.supplier, standard=standard)

    add(3)
    # The content types' cache fills once per process: not the draw's cost.
    ContentType.objects.get_for_model(SamplingRequest)
    with CaptureQueriesContext(connection) as few:
        sampling_draw(on=date(2026, 11, 30), seed=1)
    SamplingRequest.objects.update(status=SamplingRequest.Status.CANCELLED)
    add(15)
    with CaptureQueriesContext(connection) as many:
        draw = sampling_draw(on=END_OF_MONTH, seed=1)
    assert draw.requests.count() == 18
    assert len(many) == len(few)
    assert len(many) <= 20


# --- The job ------------------------------------------------------------------------------------


def test_the_task_draws_once_and_tracks_its_progress():
    category, _ = category_with_lab_test()
    live_listing(category)
    live_listing(category)

    summary = draw_test_purchases_task()
    draw_test_purchases_task()

    assert SamplingDraw.objects.filter(drawn_on=timezone.localdate()).count() == 1
    runs = JobRun.objects.filter(name="draw_test_purchases").order_by("pk")
    assert [run.status for run in runs] == [JobRun.Status.SUCCEEDED] * 2
    assert runs[0].total == 2
    assert runs[0].done == 2
    assert "candidates" in summary


def test_the_draw_runs_daily_from_beat():
    job = next(j for j in PERIODIC_JOBS if j.task == "logistics.tasks.draw_test_purchases_task")
    assert job.crontab
    assert job.expires is not None


# --- Properties of the pick ---------------------------------------------------------------------

candidate_sets = st.dictionaries(
    st.integers(min_value=1, max_value=10_000),
    st.tuples(
        st.decimals(min_value="0.5", max_value="144", places=6),
        st.decimals(min_value="0", max_value="5000", places=2),
    ),
    max_size=40,
)


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**63 - 1),
    candidates=candidate_sets,
    allowance=st.decimals(min_value="0", max_value="20000", places=2),
)
def test_a_pick_never_overspends_never_repeats_and_replays_the_same(seed, candidates, allowance):
    choice = choose(seed, candidates, allowance)
    assert len(choice.picked) == len(set(choice.picked))
    spent = sum((Decimal(candidates[pk][1]) for pk in choice.picked), Decimal("0"))
    assert spent == choice.spent <= allowance
    assert set(choice.outcomes) == set(candidates)
    assert choose(seed, candidates, allowance) == choice
    # Taken in key order: every pick outranks every candidate after it that would have fitted.
    ranks = [choice.ranks[pk] for pk in choice.picked]
    assert ranks == sorted(ranks)
