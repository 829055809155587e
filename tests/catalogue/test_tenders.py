from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from catalogue.models import Bid, Listing, PriceRound, Tender
from catalogue.selectors import bids_with_sealing, tender_bids_visible_to
from catalogue.services.tenders import (
    bid_place,
    quality_factor,
    tender_close,
    tender_open,
    tenders_close_due,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from suppliers.models import Scorecard
from suppliers.standing import standing_for
from tests.concurrency import run_together
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import ListingFactory, ProductFactory, TenderFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db
D = Decimal


def bidder(score: str | None = None, return_rate: str | None = None):
    """A supplier's owner, with today's scorecard at `score` (its standing as the score gives
    it, thin evidence aside); None: no scorecard, a new supplier."""
    user = MembershipFactory(role="owner").user
    if score is not None:
        Scorecard.objects.create(
            supplier=user.supplier_membership.supplier,
            score=D(score),
            score_high=D(score),
            standing=standing_for(D(score), D(score)),
            return_rate=D(return_rate) if return_rate else None,
        )
    return user


def bid(tender, user, price, capacity=1000, lead=14):
    return bid_place(tender, actor=user, unit_price=price, lead_time_days=lead, capacity=capacity)


def close(tender):
    with time_machine.travel(tender.closes_at + timedelta(seconds=1)):
        tenders_close_due()
    tender.refresh_from_db()
    return tender


def test_only_operators_open_tenders_in_the_future():
    product = ProductFactory()
    with pytest.raises(DomainError):
        tender_open(
            product, quantity=10, closes_at=timezone.now() + timedelta(days=1), actor=UserFactory()
        )
    with pytest.raises(DomainError) as past:
        tender_open(
            product,
            quantity=10,
            closes_at=timezone.now() - timedelta(minutes=1),
            actor=UserFactory(is_staff=True),
        )
    assert "closes_at" in past.value.fields


def test_a_bid_may_be_lowered_never_raised():
    tender = TenderFactory()
    user = bidder()
    bid(tender, user, "12.00")
    bid(tender, user, "11.50", lead=10)
    with pytest.raises(DomainError) as raised:
        bid(tender, user, "11.51")
    assert raised.value.code == "bid_raised"
    placed = Bid.objects.get()
    assert (placed.unit_price, placed.lead_time_days) == (D("11.50"), 10)


def test_no_bids_after_closing():
    tender = TenderFactory()
    user = bidder()
    with time_machine.travel(tender.closes_at + timedelta(seconds=1)), pytest.raises(DomainError):
        bid(tender, user, "10.00")


def test_bid_events_carry_no_amount():
    tender = TenderFactory()
    bid(tender, bidder(), "12.34")
    event = Event.objects.get(kind="tender.bid_placed")
    assert "12.34" not in str(event.payload) + event.reason


def test_lowest_qualified_price_wins_and_the_award_explains_itself():
    tender = TenderFactory(quantity=500, min_score=D("60"))
    cheap_unscored = bidder()
    cheap_small = bidder("90")
    good = bidder("75")
    dear = bidder("95")
    bid(tender, cheap_unscored, "9.00")
    bid(tender, cheap_small, "9.50", capacity=100)
    bid(tender, good, "10.00")
    bid(tender, dear, "10.40")
    tender = close(tender)
    assert tender.status == Tender.Status.AWARDED
    assert tender.winning_bid.supplier == good.supplier_membership.supplier
    why = tender.award_explanation
    assert why["rule"] == "lowest_price"
    assert why["winner"] == tender.winning_bid_id
    assert why["why"] == "Lowest unit price among 2 qualified bid(s): 10.00 CNY."
    reasons = {b["supplier"]: b["reasons"] for b in why["bids"]}
    assert reasons[cheap_unscored.supplier_membership.supplier_id] == ["scorecard none below 60.00"]
    assert reasons[cheap_small.supplier_membership.supplier_id] == [
        "capacity 100 below the quantity 500"
    ]


def test_ties_go_to_the_better_scorecard_then_the_earlier_bid():
    tender = TenderFactory()
    first, better, later = bidder("70"), bidder("85"), bidder("85")
    bid(tender, first, "10.00")
    bid(tender, better, "10.00")
    bid(tender, later, "10.00")
    tender = close(tender)
    assert tender.winning_bid.supplier == better.supplier_membership.supplier
    assert "better scorecard" not in tender.award_explanation["why"]  # tied with `later` too
    assert "earlier bid" in tender.award_explanation["why"]


def test_quality_adjusted_lets_a_reliable_factory_win():
    assert quality_factor(None) == D("0.8")
    assert quality_factor(D("100")) == D("1.0")
    assert quality_factor(D("50")) == D("0.9")
    tender = TenderFactory(quality_adjusted=True)
    sloppy, reliable = bidder("55"), bidder("98")  # poor (a very poor one cannot bid)
    bid(tender, sloppy, "10.00")  # 10.00 / 0.91 = 10.9890
    bid(tender, reliable, "10.80")  # 10.80 / 0.996 = 10.8434
    tender = close(tender)
    assert tender.winning_bid.supplier == reliable.supplier_membership.supplier
    rows = {b["unit_price"]: b for b in tender.award_explanation["bids"]}
    assert (rows["10.00"]["factor"], rows["10.00"]["effective_price"]) == ("0.9100", "10.9890")
    assert (rows["10.80"]["factor"], rows["10.80"]["effective_price"]) == ("0.9960", "10.8434")


def test_no_qualified_bid_closes_unawarded_and_everyone_is_told():
    tender = TenderFactory(max_return_rate=D("0.05"))
    risky = bidder("80", "0.12")
    bid(tender, risky, "8.00")
    tender = close(tender)
    assert tender.status == Tender.Status.UNAWARDED
    assert tender.winning_bid is None
    assert tender.award_explanation["why"] == "No bid qualified."
    lost = Event.objects.get(kind="tender.lost")
    assert lost.supplier_id == risky.supplier_membership.supplier_id


def test_the_award_creates_the_winners_listing_and_tells_winner_and_losers():
    tender = TenderFactory()
    winner, loser = bidder("80"), bidder("80")
    bid(tender, winner, "7.00")
    bid(tender, loser, "7.50")
    tender = close(tender)
    listing = Listing.objects.get(supplier=winner.supplier_membership.supplier)
    assert (listing.product_id, listing.supply_price_cny, listing.status) == (
        tender.product_id,
        D("7.00"),
        Listing.Status.COMPLIANCE_REVIEW,
    )
    assert listing.price_rounds.get().status == PriceRound.Status.ACCEPTED
    kinds = {
        (e.kind, e.supplier_id)
        for e in Event.objects.filter(kind__in=["tender.awarded", "tender.lost"])
    }
    assert kinds == {
        ("tender.awarded", winner.supplier_membership.supplier_id),
        ("tender.lost", loser.supplier_membership.supplier_id),
    }


def test_the_award_reprices_an_existing_listing():
    tender = TenderFactory()
    winner = bidder("80")
    existing = ListingFactory(
        supplier=winner.supplier_membership.supplier,
        product=tender.product,
        status=Listing.Status.LIVE,
        supply_price_cny=D("9.00"),
    )
    bid(tender, winner, "8.20")
    close(tender)
    existing.refresh_from_db()
    assert (existing.supply_price_cny, existing.status) == (D("8.20"), Listing.Status.LIVE)


def test_closing_twice_awards_once():
    tender = TenderFactory()
    bid(tender, bidder("80"), "7.00")
    close(tender)
    close(tender)
    tender_close(tender)
    assert Event.objects.filter(kind="tender.awarded").count() == 1
    assert Listing.objects.count() == 1


def test_open_tenders_are_not_closed_early():
    tender = TenderFactory()
    assert tenders_close_due() == 0
    tender.refresh_from_db()
    assert tender.status == Tender.Status.OPEN


def test_nobody_closes_a_tender_before_its_time(operator):
    """Suppliers may bid or lower until the closing time they were given: the service refuses an
    early close from every door, an operator's included."""
    tender = TenderFactory(closes_at=timezone.now() + timedelta(hours=2))
    bid(tender, bidder("80"), "7.00")
    for actor in (operator, None):
        with pytest.raises(DomainError) as refused:
            tender_close(tender, actor=actor)
        assert (refused.value.code, refused.value.kind) == ("not_due", ErrorKind.CONFLICT)
        assert refused.value.message.startswith("Not due until ")
    tender.refresh_from_db()
    assert (tender.status, tender.winning_bid) == (Tender.Status.OPEN, None)
    assert not Event.objects.filter(kind__in=["tender.closed", "tender.awarded"]).exists()
    with time_machine.travel(tender.closes_at + timedelta(seconds=1)):
        assert tender_close(tender, actor=operator).status == Tender.Status.AWARDED
    assert Event.objects.get(kind="tender.closed").actor == operator


# --- Sealed bids ------------------------------------------------------------------------------


def sealing(user, tender):
    bids = bids_with_sealing(Bid.objects.filter(tender=tender), user)
    return {b.supplier_id: b.amounts_visible for b in bids}


def test_bid_amounts_are_read_by_their_supplier_and_by_operators_once_closed(operator):
    tender = TenderFactory()
    mine, theirs = bidder(), bidder()
    bid(tender, mine, "7.00")
    bid(tender, theirs, "6.50")
    mine_id = mine.supplier_membership.supplier_id
    theirs_id = theirs.supplier_membership.supplier_id
    outsider = UserFactory()
    assert sealing(mine, tender) == {mine_id: True, theirs_id: False}
    assert sealing(operator, tender) == {mine_id: False, theirs_id: False}
    assert sealing(outsider, tender) == {mine_id: False, theirs_id: False}
    assert set(tender_bids_visible_to(mine)) == set(Bid.objects.filter(supplier_id=mine_id))
    assert not tender_bids_visible_to(operator).exists()
    assert not tender_bids_visible_to(outsider).exists()

    close(tender)
    assert sealing(mine, tender) == {mine_id: True, theirs_id: False}
    assert sealing(operator, tender) == {mine_id: True, theirs_id: True}
    assert sealing(outsider, tender) == {mine_id: False, theirs_id: False}
    assert tender_bids_visible_to(operator).count() == 2
    assert tender_bids_visible_to(theirs).get().supplier_id == theirs_id


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_close_jobs_at_the_same_moment_award_each_tender_once():
    tenders = [TenderFactory() for _ in range(12)]
    for tender in tenders:
        bid(tender, bidder("80"), "7.00")
        bid(tender, bidder("70"), "7.10")
    moment = max(t.closes_at for t in tenders) + timedelta(seconds=1)

    def close() -> int:
        with time_machine.travel(moment):
            return tenders_close_due(batch_size=3)

    both = run_together(close, close)
    assert both.errors == []
    assert sum(n or 0 for n in both.results) == 12
    assert Tender.objects.filter(status="awarded").count() == 12
    assert Event.objects.filter(kind="tender.awarded").count() == 12
    assert Listing.objects.count() == 12


def test_a_required_test_must_be_passed_and_in_date():
    from datetime import date

    from tests.factories.compliance import StandardFactory, TestRecordFactory

    tender = TenderFactory(required_test="EN 71-3")
    tested, expired, failed, untested = bidder("80"), bidder("80"), bidder("80"), bidder("80")
    today = timezone.localdate()
    for user, result, until in (
        (tested, "pass", today + timedelta(days=90)),
        (expired, "pass", today - timedelta(days=1)),
        (failed, "fail", today + timedelta(days=90)),
    ):
        TestRecordFactory(
            product=tender.product,
            supplier=user.supplier_membership.supplier,
            standard=StandardFactory(code="EN 71-3"),
            report_number=f"R-{user.pk}",
            result=result,
            issued_on=date(2026, 1, 5),
            valid_until=until,
        )
    bid(tender, untested, "6.00")
    bid(tender, failed, "6.10")
    bid(tender, expired, "6.20")
    bid(tender, tested, "7.00")
    tender = close(tender)
    assert tender.winning_bid.supplier == tested.supplier_membership.supplier
    reasons = [b["reasons"] for b in tender.award_explanation["bids"] if not b["qualified"]]
    assert reasons == [["no passing, in-date EN 71-3 test"]] * 3


@pytest.mark.parametrize(("qualified", "status"), [(True, "awarded"), (False, "unawarded")])
def test_closing_is_the_tenders_one_move_recorded_before_the_bidders_are_told(qualified, status):
    tender = TenderFactory(max_return_rate=D("0.05"))
    bid(tender, bidder("80", "0.01" if qualified else "0.12"), "7.00")
    tender = close(tender)
    assert tender.status == status
    assert tender.closed_at is not None
    closed = Event.objects.get(kind="tender.closed")
    # The platform's tender: no supplier's event; the move beside the status webhooks had.
    assert closed.supplier_id is None
    assert closed.payload == {"from": "open", "to": status, "status": status}
    told = Event.objects.filter(kind__in=["tender.awarded", "tender.lost"])
    assert told.count() == 1
    assert all(event.pk > closed.pk for event in told)


def test_the_award_withdraws_the_winners_open_round():
    tender = TenderFactory()
    winner = bidder("80")
    existing = ListingFactory(
        supplier=winner.supplier_membership.supplier,
        product=tender.product,
        status=Listing.Status.PRICE_REVIEW,
    )
    PriceRound.objects.create(
        listing=existing, number=1, proposed_price=D("9.00"), proposed_by=winner
    )
    bid(tender, winner, "8.20")
    close(tender)
    assert list(existing.price_rounds.order_by("number").values_list("status", flat=True)) == [
        PriceRound.Status.WITHDRAWN,
        PriceRound.Status.ACCEPTED,
    ]
