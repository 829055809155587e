"""The chunk planner: demand read, stock positions and caps read set-based, forecasts and
proposals written with every term of their arithmetic, the rules (trending, dead stock, very
poor standing, snoozed), idempotence, a constant number of queries, and two runs of the same
chunk at once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalogue.models import Listing, ListingReturnRate
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.shipments import inbound_transition
from logistics.services.inbound.stocking import listing_stocking_cap, stocking_order_issue
from marketplace.models import Event
from restock.models import DemandSignal, Forecast, RestockProposal
from restock.selectors.demand import demand_matrix, planned_listings
from restock.selectors.position import Position, positions, stocking_caps
from restock.services.planning import plan_chunk, proposal_terms
from suppliers.selectors import standings_of
from tests.concurrency import run_in_threads
from tests.factories.catalogue import ListingFactory
from tests.factories.logistics import WarehouseFactory, operator, shipment_for, stocked_listing
from tests.factories.restock import RestockProposalFactory, ScorecardFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 5)
YESTERDAY = TODAY - timedelta(days=1)
OPEN = RestockProposal.Status.OPEN


def put_demand(
    listing: Listing, daily: Sequence[int], *, end_day: date = YESTERDAY, market: str = "US"
) -> None:
    """Signals of `daily` units ordered, the last on end_day (days with 0 are left out)."""
    n = len(daily)
    DemandSignal.objects.bulk_create(
        DemandSignal(
            listing=listing,
            market=market,
            day=end_day - timedelta(days=n - 1 - i),
            units_ordered=int(units),
        )
        for i, units in enumerate(daily)
        if units
    )


def old_listing(units: int = 0, **fields: object) -> Listing:
    """A live, established listing (first batch passed) made long ago, with `units` in stock."""
    listing = stocked_listing(units, case_pack=fields.pop("case_pack", 1), **fields)
    Listing.objects.filter(pk=listing.pk).update(created_at=timezone.now() - timedelta(days=365))
    listing.refresh_from_db()
    return listing


def plan(*listings: Listing, today: date = TODAY) -> int:
    ids = [listing.pk for listing in listings]
    return plan_chunk(None, min(ids), max(ids), today=today)


# --- demand -------------------------------------------------------------------------------


def test_demand_matrix_sums_markets_takes_the_larger_count_and_fills_zeros():
    listing = ListingFactory(status=Listing.Status.LIVE)
    quiet = ListingFactory(status=Listing.Status.PAUSED)
    DemandSignal.objects.bulk_create(
        [
            DemandSignal(listing=listing, market="US", day=YESTERDAY, units_ordered=3),
            DemandSignal(listing=listing, market="UK", day=YESTERDAY, units_ordered=1),
            # The platform saw more than the storefront reported: the larger counts.
            DemandSignal(
                listing=listing,
                market="EU",
                day=YESTERDAY - timedelta(days=2),
                units_ordered=1,
                platform_units=4,
            ),
            # Outside the window.
            DemandSignal(listing=listing, market="US", day=YESTERDAY - timedelta(days=5)),
            DemandSignal(listing=listing, market="US", day=TODAY, units_ordered=9),
        ]
    )
    ids, matrix = demand_matrix(listing.pk, quiet.pk, end_day=YESTERDAY, days=4)
    assert ids.tolist() == sorted([listing.pk, quiet.pk])
    rows = dict(zip(ids.tolist(), matrix.tolist(), strict=True))
    assert rows[listing.pk] == [0, 4, 0, 4]
    assert rows[quiet.pk] == [0, 0, 0, 0]


def test_demand_matrix_reads_only_the_planned_listings():
    planned = ListingFactory(status=Listing.Status.LIVE)
    others = [
        ListingFactory(status=Listing.Status.LIVE, mode=Listing.Mode.SEMI_MANAGED),
        ListingFactory(status=Listing.Status.DELISTED),
        ListingFactory(status=Listing.Status.DRAFT),
        ListingFactory(status=Listing.Status.LIVE, is_jit=True),
    ]
    for listing in [planned, *others]:
        put_demand(listing, [1, 2])
    ids, matrix = demand_matrix(planned.pk, others[-1].pk, end_day=YESTERDAY, days=2)
    assert ids.tolist() == [planned.pk]
    assert matrix.tolist() == [[1, 2]]
    assert list(planned_listings().filter(pk__gte=planned.pk).values_list("pk", flat=True)) == [
        planned.pk
    ]


def test_demand_matrix_is_one_query(django_assert_num_queries):
    listings = [ListingFactory(status=Listing.Status.LIVE) for _ in range(3)]
    for listing in listings:
        put_demand(listing, [1, 0, 2])
    with django_assert_num_queries(1):
        _ids, matrix = demand_matrix(listings[0].pk, listings[-1].pk, end_day=YESTERDAY, days=3)
    assert matrix.sum() == 9


# --- position and cap ---------------------------------------------------------------------


def test_positions_available_inbound_and_open_orders():
    listing = stocked_listing(10)  # 10 accepted into stock (its order shipped)
    shipment_for(listing, 6, status="in_transit")  # inbound, its order shipped
    arrived = shipment_for(listing, 4, status="arrived")  # arrived, not counted: 4 declared
    assert arrived.status == "arrived"
    # Being received, counted 9 with 2 damaged, not inspected yet: 7 sound units on the way.
    counted = shipment_for(listing, 8, status="arrived")
    counted = inbound_transition(counted, "receiving", actor=operator())
    line_count(counted.lines.get(), received=9, damaged=2, actor=operator())
    stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=operator())
    shipment_for(listing, 3, status="booked")  # booked: not left; its order is still open
    found = positions(listing.pk, listing.pk)[listing.pk]
    assert found == Position(available=10, inbound=6 + 4 + 7, open_orders=5 + 3)


def test_stocking_caps_agree_with_the_logistics_rule():
    new = stocked_listing(0, new=True)
    established = stocked_listing(0)
    returning = stocked_listing(0)
    recovered = stocked_listing(0)
    ListingReturnRate.objects.bulk_create(
        [
            ListingReturnRate(
                listing=returning, day=TODAY, units_sold=40, units_returned=8, rate="0.2"
            ),
            ListingReturnRate(
                listing=recovered,
                day=TODAY - timedelta(days=1),
                units_sold=40,
                units_returned=8,
                rate="0.2",
            ),
            ListingReturnRate(
                listing=recovered, day=TODAY, units_sold=40, units_returned=1, rate="0.025"
            ),
        ]
    )
    # A poor supplier's established listing: capped once standings cap (scorecards).
    poor = stocked_listing(0)
    ScorecardFactory(supplier=poor.supplier, standing="poor", day=TODAY)
    listings = [new, established, returning, recovered, poor]
    caps = stocking_caps(
        ((x.pk, x.first_batch_accepted_at is not None, x.supplier_id) for x in listings),
        standings_of([x.supplier_id for x in listings]),
    )
    assert caps == {x.pk: listing_stocking_cap(x) for x in listings}
    assert {k: v for k, v in caps.items() if k != poor.pk} == {
        new.pk: 30,
        established.pk: None,
        returning.pk: 30,
        recovered.pk: None,
    }


# --- the arithmetic -----------------------------------------------------------------------


def test_proposal_terms_hand_example(settings):
    terms = proposal_terms(
        method="CrostonSBA",
        demand_over_lead=Decimal("72.000"),
        safety_stock=Decimal("10.500"),
        safety_method="m",
        production_days=12,
        position=Position(available=10, inbound=6, open_orders=5),
        case_pack=12,
        cap=None,
    )
    assert terms.lead_days == 3 + 12 + 3 + 2
    assert terms.need == Decimal("61.500")  # 72 + 10.5 - (10 + 6 + 5 + 0)
    assert terms.quantity == 72  # six cases of 12
    assert terms.mean_daily == Decimal("3.600")  # 72 / 20
    assert terms.service_level == settings.RESTOCK_SERVICE_LEVEL
    # Within the cap less the units ordered: whole cases that fit.
    capped = proposal_terms(
        method="CrostonSBA",
        demand_over_lead=Decimal("72.000"),
        safety_stock=Decimal("10.500"),
        safety_method="m",
        production_days=12,
        position=Position(available=10, inbound=6, open_orders=5),
        case_pack=12,
        cap=30,
    )
    assert capped.quantity == 24  # 25 units of room: two cases
    assert capped.cap == 30
    # Enough on hand: nothing.
    covered = proposal_terms(
        method="x",
        demand_over_lead=Decimal("10"),
        safety_stock=Decimal("2"),
        safety_method="m",
        production_days=10,
        position=Position(available=12),
        case_pack=1,
        cap=None,
    )
    assert covered.need == 0
    assert covered.quantity == 0


def test_a_proposal_keeps_every_term_of_its_arithmetic():
    """Constant demand of 4 a day: the forecast is 4 a day with no backtest error (no safety
    stock); L = 3 + 10 + 3 + 2 = 18 days: 72 units; less 10 available, 6 inbound, 5 ordered:
    need 51, four cases of 12: 48 is short, so 60."""
    listing = old_listing(10, case_pack=12)
    shipment_for(listing, 6, status="in_transit")
    stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=operator())
    put_demand(listing, [4] * 180)
    assert plan(listing) == 1
    proposal = RestockProposal.objects.get(listing=listing)
    assert proposal.status == OPEN
    assert proposal.supplier_id == listing.supplier_id
    assert proposal.method == "SeasESOpt"
    assert proposal.confirm_days == 3
    assert proposal.production_days == 10
    assert proposal.transit_days == 3
    assert proposal.receiving_days == 2
    assert proposal.mean_daily == Decimal("4.000")
    assert proposal.demand_over_lead == Decimal("72.000")
    assert proposal.service_level == Decimal("0.9500")
    assert proposal.safety_stock == Decimal("0.000")
    assert "95% quantile" in proposal.safety_method
    assert (proposal.available, proposal.inbound, proposal.open_orders) == (10, 6, 5)
    assert proposal.open_proposals == 0
    assert proposal.need == Decimal("51.000")
    assert proposal.case_pack == 12
    assert proposal.quantity == 60
    assert proposal.cap is None
    assert proposal.urgent is False
    forecast = Forecast.objects.get(listing=listing)
    assert forecast.pattern == "smooth"
    assert forecast.horizon_days == 18
    assert forecast.daily == [4.0] * 18
    assert forecast.mase is None  # a constant history: the naive error is 0
    assert forecast.last_order_day == YESTERDAY
    event = Event.objects.get(kind="restock_proposal.proposed")
    assert event.payload == {"listing": listing.pk, "quantity": 60, "urgent": False}
    assert event.supplier_id == listing.supplier_id


def test_the_listing_production_lead_time_lengthens_the_horizon():
    listing = old_listing(0, production_lead_days=25)
    put_demand(listing, [2] * 180)
    plan(listing)
    proposal = RestockProposal.objects.get(listing=listing)
    assert proposal.production_days == 25
    assert proposal.demand_over_lead == Decimal("66.000")  # 2 x (3 + 25 + 3 + 2)
    assert Forecast.objects.get(listing=listing).horizon_days == 33


def test_a_new_listing_is_proposed_within_its_stocking_cap():
    listing = stocked_listing(0, new=True, case_pack=4)
    Listing.objects.filter(pk=listing.pk).update(created_at=timezone.now() - timedelta(days=90))
    put_demand(listing, [10] * 180)
    stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=operator())
    plan(listing)
    proposal = RestockProposal.objects.get(listing=listing)
    assert proposal.need == Decimal("175.000")  # 180 - 5 ordered
    assert proposal.cap == 30
    assert proposal.quantity == 24  # 25 left under the cap: six cases of 4


def test_a_trending_listing_is_proposed_urgently():
    listing = old_listing(0)
    put_demand(listing, [2] * 173 + [9] * 7)
    plan(listing)
    assert RestockProposal.objects.get(listing=listing).urgent is True
    assert Forecast.objects.get(listing=listing).trending is True


def test_a_dead_listing_gets_no_proposal_and_becomes_dead_stock():
    listing = old_listing(10)
    put_demand(listing, [3] * 100 + [0] * 80)
    proposal = RestockProposalFactory(listing=listing)
    plan(listing)
    assert not RestockProposal.objects.filter(listing=listing, status=OPEN).exists()
    proposal.refresh_from_db()
    assert proposal.status == RestockProposal.Status.WITHDRAWN
    event = Event.objects.get(kind="restock_proposal.withdrawn")
    assert event.reason == "no orders in 30 days"
    assert event.payload == {
        "from": "open",
        "to": "withdrawn",
        "listing": listing.pk,
        "quantity": proposal.quantity,
    }
    listing.refresh_from_db()
    assert listing.dead_stock_since == TODAY
    # A later run keeps the earlier date.
    plan(listing, today=TODAY + timedelta(days=3))
    listing.refresh_from_db()
    assert listing.dead_stock_since == TODAY
    # Orders come back: no longer dead stock.
    put_demand(listing, [5], end_day=TODAY + timedelta(days=4))
    plan(listing, today=TODAY + timedelta(days=5))
    listing.refresh_from_db()
    assert listing.dead_stock_since is None


def test_an_order_30_days_ago_is_within_the_30_days():
    listing = old_listing(10)
    put_demand(listing, [3] * 100 + [2] + [0] * 29)  # the 2: 30 days before today
    plan(listing)
    listing.refresh_from_db()
    assert listing.dead_stock_since is None
    plan(listing, today=TODAY + timedelta(days=1))  # now 31 days ago
    listing.refresh_from_db()
    assert listing.dead_stock_since == TODAY + timedelta(days=1)


def test_a_new_listing_without_orders_yet_is_not_dead():
    listing = stocked_listing(5)  # made today
    plan(listing)
    listing.refresh_from_db()
    assert listing.dead_stock_since is None
    assert not RestockProposal.objects.filter(listing=listing).exists()
    assert Forecast.objects.get(listing=listing).pattern == "none"


def test_a_very_poor_supplier_gets_no_proposal():
    listing = old_listing(0)
    put_demand(listing, [5] * 180)
    ScorecardFactory(supplier=listing.supplier, standing="very_poor", day=TODAY)
    open_one = RestockProposalFactory(listing=listing)
    plan(listing)
    open_one.refresh_from_db()
    assert open_one.status == RestockProposal.Status.WITHDRAWN
    assert not RestockProposal.objects.filter(listing=listing, status=OPEN).exists()
    # Its forecast is still made.
    assert Forecast.objects.filter(listing=listing).exists()


def test_a_snoozed_proposal_is_left_alone():
    listing = old_listing(0)
    put_demand(listing, [5] * 180)
    snoozed = RestockProposalFactory(listing=listing, quantity=7, snoozed_until=TODAY)
    before = RestockProposal.objects.get(pk=snoozed.pk)
    assert plan(listing) == 1
    after = RestockProposal.objects.get(pk=snoozed.pk)
    assert (after.status, after.quantity, after.updated_at, after.expires_at) == (
        before.status,
        before.quantity,
        before.updated_at,
        before.expires_at,
    )
    # The day after the snooze, it is updated again.
    plan(listing, today=TODAY + timedelta(days=1))
    after.refresh_from_db()
    assert after.status == OPEN
    assert after.quantity != 7


def test_an_open_proposal_is_updated_not_proposed_again():
    listing = old_listing(0)
    put_demand(listing, [5] * 180)
    existing = RestockProposalFactory(listing=listing, quantity=7)
    now = timezone.now()
    plan_chunk(None, listing.pk, listing.pk, today=TODAY, now=now)
    existing.refresh_from_db()
    assert existing.status == OPEN
    assert existing.quantity == 90  # 5 x 18
    assert existing.expires_at == now + timedelta(days=3)
    assert RestockProposal.objects.filter(listing=listing).count() == 1
    assert not Event.objects.filter(kind="restock_proposal.proposed").exists()


def test_a_rerun_gives_the_same_proposals():
    rng = np.random.default_rng(5)
    listings = [old_listing(int(rng.integers(0, 30))) for _ in range(6)]
    for listing in listings:
        put_demand(listing, rng.poisson(rng.uniform(0.3, 6), 180).tolist())
    first = plan(*listings)

    def proposals() -> list[tuple[object, ...]]:
        return list(
            RestockProposal.objects.order_by("listing_id").values_list(
                "listing_id", "status", "quantity", "need", "safety_stock"
            )
        )

    def forecasts() -> list[tuple[object, ...]]:
        return list(
            Forecast.objects.order_by("listing_id").values_list("listing_id", "daily", "mase")
        )

    rows, made = proposals(), forecasts()
    assert plan(*listings) == first
    assert proposals() == rows
    assert forecasts() == made
    assert Event.objects.filter(kind="restock_proposal.proposed").count() == len(rows)
    assert first == len(rows) > 0


def test_a_chunk_takes_a_constant_number_of_queries():
    def run(count: int) -> int:
        listings = [old_listing(i) for i in range(count)]
        for i, listing in enumerate(listings):
            put_demand(listing, [i % 3 + 1] * 180)
            if i % 2:
                RestockProposalFactory(listing=listing)
        with CaptureQueriesContext(connection) as queries:
            plan(*listings)
        return len(queries)

    small, large = run(2), run(6)
    assert small == large
    assert large <= 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_chunk_twice_at_once_leaves_one_open_proposal_a_listing():
    listings = [old_listing(0) for _ in range(4)]
    for listing in listings:
        put_demand(listing, [3] * 180)
    first, last = listings[0].pk, listings[-1].pk
    counts = run_in_threads(
        lambda: plan_chunk(None, first, last, today=TODAY),
        lambda: plan_chunk(None, first, last, today=TODAY),
    )
    assert counts == [4, 4]
    assert RestockProposal.objects.filter(status=OPEN).count() == 4
    assert Event.objects.filter(kind="restock_proposal.proposed").count() == 4
    assert Forecast.objects.count() == 4


def test_a_listing_no_longer_planned_has_its_open_proposal_withdrawn():
    listing = old_listing(0)
    proposal = RestockProposalFactory(listing=listing)
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.DELISTED)
    assert plan(listing) == 0  # nothing planned in the chunk
    proposal.refresh_from_db()
    assert proposal.status == RestockProposal.Status.WITHDRAWN
    assert not Forecast.objects.filter(listing=listing).exists()


def test_enough_stock_withdraws_the_open_proposal():
    listing = old_listing(500)
    put_demand(listing, [2] * 180)
    proposal = RestockProposalFactory(listing=listing)
    assert plan(listing) == 0
    proposal.refresh_from_db()
    assert proposal.status == RestockProposal.Status.WITHDRAWN
    assert Forecast.objects.get(listing=listing).mean_daily == Decimal("2.000")
    assert Event.objects.get(kind="restock_proposal.withdrawn").reason.startswith("covered")
