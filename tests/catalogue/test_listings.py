from __future__ import annotations

import pytest

from catalogue.models import LISTING_MACHINE, Listing, ListingPrice
from catalogue.services.caps import stocking_cap
from catalogue.services.listings import (
    listing_create,
    listing_publish,
    listing_stock_changed,
    listing_transition,
    overseas_stock_report,
    retail_price_set,
    sellable_markets,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.suppliers import SupplierFactory, funded_supplier

pytestmark = pytest.mark.django_db
S = Listing.Status


@pytest.fixture
def operator_user():
    return UserFactory(is_staff=True)


@pytest.mark.parametrize(
    ("current", "target"), [(a, b) for a in S.values for b in S.values if a != b]
)
def test_every_move_is_checked_and_recorded(current, target, operator_user):
    listing = ListingFactory(status=current)
    if LISTING_MACHINE.allows(current, target):
        listing_transition(listing, target, actor=operator_user, reason="why")
        event = Event.objects.get(kind="listing.status_changed")
        assert event.payload == {"from": current, "to": target}
        assert (event.actor, event.supplier_id) == (operator_user, listing.supplier_id)
    else:
        with pytest.raises(DomainError):
            listing_transition(listing, target, actor=operator_user, reason="why")
        assert not Event.objects.exists()


def test_jit_only_for_enrolled_suppliers_and_fully_managed():
    product = ProductFactory()
    plain = SupplierFactory()
    with pytest.raises(DomainError) as refused:
        listing_create(plain, product, mode="fully_managed", is_jit=True, actor=None)
    assert refused.value.code == "jit_not_enrolled"
    enrolled = funded_supplier("6000")
    from suppliers.services.jit import jit_apply

    jit_apply(enrolled, actor=None)
    with pytest.raises(DomainError) as semi:
        listing_create(enrolled, product, mode="semi_managed", is_jit=True, actor=None)
    assert semi.value.code == "jit_fully_managed_only"
    listing = listing_create(enrolled, product, mode="fully_managed", is_jit=True, actor=None)
    assert listing.is_jit
    with pytest.raises(DomainError) as twice:
        listing_create(enrolled, product, mode="fully_managed", is_jit=False, actor=None)
    assert twice.value.code == "listing_exists"


def test_a_supplier_cannot_list_another_suppliers_product():
    product = ProductFactory(owner=SupplierFactory())
    with pytest.raises(DomainError):
        listing_create(SupplierFactory(), product, mode="fully_managed", is_jit=False, actor=None)


def test_only_operators_set_retail_prices_in_the_markets_currency(operator_user):
    listing = ListingFactory()
    price = retail_price_set(listing, market="UK", amount="9.99", actor=operator_user)
    assert (price.currency, str(price.amount)) == ("GBP", "9.99")
    with pytest.raises(DomainError) as refused:
        retail_price_set(listing, market="US", amount="5", actor=UserFactory())
    assert refused.value.kind == ErrorKind.FORBIDDEN
    retail_price_set(listing, market="UK", amount="8.49", actor=operator_user)
    assert str(ListingPrice.objects.get().amount) == "8.49"


# --- Stock: the automatic pause -------------------------------------------------------------------


def test_a_non_jit_listing_pauses_at_zero_and_resumes_when_stock_returns():
    listing = ListingFactory(status=S.LIVE)
    listing_stock_changed(listing, 0)
    listing.refresh_from_db()
    assert (listing.status, listing.paused_for_stock) == (S.PAUSED, True)
    assert listing.status_reason == "No available stock."
    listing_stock_changed(listing, 12)
    listing.refresh_from_db()
    assert listing.status == S.LIVE
    assert "12 available" in listing.status_reason


def test_a_jit_listing_is_never_touched():
    listing = ListingFactory(status=S.LIVE, is_jit=True)
    listing_stock_changed(listing, 0)
    listing.refresh_from_db()
    assert listing.status == S.LIVE
    assert not Event.objects.exists()


def test_an_operators_pause_is_not_undone_by_stock(operator_user):
    listing = ListingFactory(status=S.LIVE)
    listing_transition(listing, S.PAUSED, actor=operator_user, reason="quality check")
    listing_stock_changed(listing, 50)
    listing.refresh_from_db()
    assert listing.status == S.PAUSED


def test_semi_managed_sells_only_where_stock_is_reported(operator_user):
    listing = ListingFactory(mode="semi_managed", status=S.APPROVED)
    for market in ("US", "UK", "EU"):
        retail_price_set(listing, market=market, amount="10", actor=operator_user)
    listing_publish(listing, actor=operator_user)
    listing.refresh_from_db()
    assert listing.status == S.PAUSED  # no stock anywhere yet
    overseas_stock_report(listing, market="UK", quantity=40, actor=None)
    listing.refresh_from_db()
    assert listing.status == S.LIVE
    assert sellable_markets(listing) == ["UK"]
    overseas_stock_report(listing, market="US", quantity=5, actor=None)
    assert sellable_markets(listing) == ["UK", "US"]
    overseas_stock_report(listing, market="UK", quantity=0, actor=None)
    overseas_stock_report(listing, market="US", quantity=0, actor=None)
    listing.refresh_from_db()
    assert listing.status == S.PAUSED
    assert sellable_markets(listing) == []


def test_fully_managed_listings_report_no_overseas_stock():
    with pytest.raises(DomainError) as refused:
        overseas_stock_report(ListingFactory(), market="US", quantity=3, actor=None)
    assert "market" in refused.value.fields


def test_publishing_needs_a_retail_price(operator_user):
    listing = ListingFactory(status=S.APPROVED, is_jit=True)
    with pytest.raises(DomainError):
        listing_publish(listing, actor=operator_user)
    retail_price_set(listing, market="US", amount="12.90", actor=operator_user)
    listing_publish(listing, actor=operator_user)
    listing.refresh_from_db()
    assert listing.status == S.LIVE  # JIT: live without stock


# --- The stocking cap rule ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("passed", "rate", "sold", "cap"),
    [
        (False, None, 0, 30),
        (False, "0.01", 500, 30),  # no inspected batch yet: capped whatever the returns
        (True, None, 0, None),  # passed, nothing sold yet: nothing to judge, the cap lifts
        (True, "0.50", 19, None),  # too few units to judge the rate
        (True, "0.08", 20, None),  # at the limit is within it
        (True, "0.0801", 20, 30),  # over the limit over enough units: the cap stays
        (True, "0.02", 400, None),
    ],
)
def test_stocking_cap(passed, rate, sold, cap):
    from decimal import Decimal

    assert (
        stocking_cap(
            first_batch_passed=passed,
            return_rate=Decimal(rate) if rate else None,
            units_sold=sold,
        )
        == cap
    )


def test_the_cap_is_a_setting(settings):
    settings.STOCKING_CAP_UNITS = 50
    assert stocking_cap(first_batch_passed=False, return_rate=None, units_sold=0) == 50


def test_the_stock_rule_reads_the_listing_as_it_is_now(operator_user):
    listing = ListingFactory(mode="semi_managed", status=S.APPROVED)
    retail_price_set(listing, market="US", amount="10", actor=operator_user)
    stale = Listing.objects.get(pk=listing.pk)
    listing_publish(listing, actor=operator_user)  # paused for stock
    overseas_stock_report(stale, market="US", quantity=5, actor=None)
    listing.refresh_from_db()
    assert listing.status == S.LIVE


@pytest.mark.parametrize("bad", ["abc", "0", "-2", "NaN"])
def test_bad_retail_prices_name_the_field(bad, operator_user):
    with pytest.raises(DomainError) as refused:
        retail_price_set(ListingFactory(), market="US", amount=bad, actor=operator_user)
    assert "amount" in refused.value.fields


# --- Consignment stock counts for fully-managed listings ---------------------------------------


def test_a_fully_managed_listing_with_consignment_stock_publishes_live(operator_user):
    from tests.factories.logistics import stocked_listing

    listing = stocked_listing(5)  # accepted into a platform warehouse
    Listing.objects.filter(pk=listing.pk).update(status=S.APPROVED)
    listing.refresh_from_db()
    listing_publish(listing, actor=operator_user)
    listing.refresh_from_db()
    assert (listing.status, listing.paused_for_stock) == (S.LIVE, False)


def test_a_resumed_fully_managed_listing_with_stock_stays_live(
    operator_user, django_assert_num_queries
):
    from catalogue.services.listings import available_stock
    from logistics.models import StockPosition
    from tests.factories.logistics import WarehouseFactory, receive_stock, stocked_listing

    listing = stocked_listing(0)
    # Stock in a second warehouse only; the first is emptied (a position at zero).
    receive_stock(listing, 4, warehouse=WarehouseFactory())
    receive_stock(listing, 3, warehouse=WarehouseFactory())
    first = StockPosition.objects.filter(listing=listing).order_by("pk").first()
    StockPosition.objects.filter(pk=first.pk).update(available=0)
    with django_assert_num_queries(1):
        assert available_stock(listing) == 3
    listing_transition(listing, S.PAUSED, actor=operator_user, reason="quality check")
    live = listing_transition(listing, S.LIVE, actor=operator_user, reason="checked")
    listing_stock_changed(live, available_stock(live), actor=operator_user)
    listing.refresh_from_db()
    assert listing.status == S.LIVE
    StockPosition.objects.filter(listing=listing).update(available=0)
    listing_stock_changed(listing, available_stock(listing), actor=operator_user)
    listing.refresh_from_db()
    assert (listing.status, listing.paused_for_stock) == (S.PAUSED, True)
