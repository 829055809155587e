"""Sound returned units restocked at a market's return centre are the platform's: they serve only
that market's orders, and selling them again owes the supplier nothing (it was paid at their
first sale)."""

from __future__ import annotations

import pytest

from logistics.models import Warehouse
from logistics.services.stock import listing_available, stock_return
from marketplace.errors import DomainError
from orders.models import ConsumerOrder, Payable
from orders.services.consumer import consumer_order_create, consumer_order_fulfil
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import retail_price
from tests.factories.logistics import WarehouseFactory, stocked_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing_with_returns():
    listing = stocked_listing()  # no consignment stock in any hub
    retail_price(listing, "EU", "12.00")
    centre = WarehouseFactory(
        code="rc-de", name="Return centre DE", kind=Warehouse.Kind.RETURN_CENTRE, market="EU"
    )
    stock_return(listing, centre, 2, reference="return:1", actor=None)
    return listing, centre


def test_a_return_centres_units_serve_only_its_own_market(listing_with_returns):
    listing, centre = listing_with_returns
    storefront = UserFactory()
    with pytest.raises(DomainError) as refused:
        consumer_order_create(
            listing_id=listing.pk, quantity=1, external_id="US-1", market="US", actor=storefront
        )
    assert refused.value.code == "out_of_stock"
    order = consumer_order_create(
        listing_id=listing.pk,
        quantity=1,
        external_id="EU-1",
        market="EU",
        country="DE",
        actor=storefront,
    )
    assert isinstance(order, ConsumerOrder)
    assert order.warehouse_id == centre.pk


def test_reselling_the_platforms_own_units_owes_the_supplier_nothing(listing_with_returns):
    listing, _centre = listing_with_returns
    order = consumer_order_create(
        listing_id=listing.pk,
        quantity=1,
        external_id="EU-2",
        market="EU",
        country="DE",
        actor=UserFactory(),
    )
    assert isinstance(order, ConsumerOrder)
    consumer_order_fulfil(order, actor=None)
    order.refresh_from_db()
    assert order.status == ConsumerOrder.Status.FULFILLED
    assert not Payable.objects.filter(order=order).exists()


def test_a_hubs_consignment_units_still_owe_the_supplier():
    listing = stocked_listing(3)
    order = consumer_order_create(
        listing_id=listing.pk, quantity=1, external_id="US-9", market="US", actor=UserFactory()
    )
    assert isinstance(order, ConsumerOrder)
    consumer_order_fulfil(order, actor=None)
    assert Payable.objects.get(order=order).amount == order.unit_supply_price


def test_available_units_are_counted_for_the_market_they_can_serve(listing_with_returns):
    listing, _centre = listing_with_returns
    assert listing_available(listing.pk, "US") == 0  # a JIT listing would take a JIT order
    assert listing_available(listing.pk, "EU") == 2
    assert listing_available(listing.pk) == 2  # the stock rule counts every unit
