"""What a standing does (SPEC, "Scorecard"): very poor cannot bid in tenders; poor and very poor
keep the stocking cap; the compliance sampling weight is the standing's; a supplier with no
scorecard is new, treated like a good one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from catalogue.models import Tender
from catalogue.services.tenders import bid_place, tenders_close_due
from logistics.services.inbound.stocking import listing_stocking_cap, stocking_order_issue
from logistics.services.test_purchases import sampling_candidates
from marketplace.errors import DomainError
from marketplace.formatting import suppliers_today
from suppliers.models import Scorecard
from tests.compliance.sampling_helpers import category_with_lab_test, live_listing
from tests.factories.catalogue import TenderFactory
from tests.factories.logistics import WarehouseFactory, operator, stocked_listing
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db
SCORES = {"very_poor": "30", "poor": "60", "good": "80", "excellent": "95"}


def stand(supplier, standing: str, day=None) -> None:
    """Today's scorecard (and an older one that said otherwise: the latest day counts)."""
    day = day or suppliers_today()
    Scorecard.objects.create(
        supplier=supplier, day=day - timedelta(days=5), standing="excellent", score=95
    )
    Scorecard.objects.create(
        supplier=supplier, day=day, standing=standing, score=Decimal(SCORES[standing])
    )


def bidder(standing: str | None):
    user = MembershipFactory(role="owner").user
    if standing is not None:
        stand(user.supplier_membership.supplier, standing)
    return user


def test_a_very_poor_supplier_cannot_bid_and_says_why():
    tender = TenderFactory()
    with pytest.raises(DomainError) as refused:
        bid_place(
            tender, actor=bidder("very_poor"), unit_price="9.00", lead_time_days=7, capacity=1000
        )
    assert refused.value.code == "standing_very_poor"
    assert "very poor" in refused.value.message
    assert "cannot bid" in refused.value.message
    assert not tender.bids.exists()


@pytest.mark.parametrize("standing", [None, "poor", "good", "excellent"])
def test_new_poor_good_and_excellent_suppliers_bid(standing):
    tender = TenderFactory()
    bid_place(tender, actor=bidder(standing), unit_price="9.00", lead_time_days=7, capacity=1000)
    assert tender.bids.count() == 1


def test_a_bid_placed_before_the_standing_fell_does_not_qualify():
    tender = TenderFactory()
    falling, steady = bidder("good"), bidder("good")
    bid_place(tender, actor=falling, unit_price="8.00", lead_time_days=7, capacity=1000)
    bid_place(tender, actor=steady, unit_price="9.00", lead_time_days=7, capacity=1000)
    Scorecard.objects.filter(
        supplier=falling.supplier_membership.supplier, day=suppliers_today()
    ).update(standing="very_poor", score=30)
    with time_machine.travel(tender.closes_at + timedelta(seconds=1)):
        tenders_close_due()
    tender.refresh_from_db()
    assert tender.status == Tender.Status.AWARDED
    assert tender.winning_bid.supplier == steady.supplier_membership.supplier
    reasons = {b["supplier"]: b["reasons"] for b in tender.award_explanation["bids"]}
    assert reasons[falling.supplier_membership.supplier_id] == ["standing very poor"]


@pytest.mark.parametrize(
    ("standing", "cap"),
    [("very_poor", 30), ("poor", 30), ("good", None), ("excellent", None), (None, None)],
)
def test_poor_and_very_poor_keep_the_stocking_cap(settings, standing, cap):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing()  # its first batch passed: uncapped on its own record
    if standing is not None:
        stand(listing.supplier, standing)
    assert listing_stocking_cap(listing) == cap


def test_a_capped_supplier_cannot_order_past_the_cap(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing()
    stand(listing.supplier, "poor")
    with pytest.raises(DomainError):
        stocking_order_issue(listing, quantity=31, warehouse=WarehouseFactory(), actor=operator())
    order = stocking_order_issue(
        listing, quantity=30, warehouse=WarehouseFactory(), actor=operator()
    )
    assert order.quantity == 30


def test_the_sampling_weight_is_the_standings(settings):
    settings.STANDING_SAMPLING_WEIGHT = {
        "very_poor": Decimal("2.0"),
        "poor": Decimal("1.5"),
        "new": Decimal("1.0"),
        "good": Decimal("1.0"),
        "excellent": Decimal("0.75"),
    }
    category, _standard = category_with_lab_test(risk="low")
    listings = {}
    for standing in ("very_poor", "poor", "good", "excellent", None):
        listing = live_listing(category)
        if standing is not None:
            stand(listing.supplier, standing)
        listings[standing or "new"] = listing
    found = {c.listing.pk: c for c in sampling_candidates(suppliers_today())}
    factors = {
        standing: (
            found[listing.pk].factors["standing"],
            found[listing.pk].factors["standing_factor"],
        )
        for standing, listing in listings.items()
    }
    assert factors == {
        "very_poor": ("very_poor", "2.000000"),
        "poor": ("poor", "1.500000"),
        "good": ("good", "1.000000"),
        "excellent": ("excellent", "0.750000"),
        "new": ("new", "1.000000"),
    }
