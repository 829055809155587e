"""Parcels made from consumer orders: a fully-managed order fulfilled by the platform is packed
into parcels split by weight, with its frozen price, the market's last-mile partner and a
platform tracking number; a semi-managed order reserves the seller's overseas stock and gets a
parcel the seller ships, which is the sale; the compliance gate holds parcels, never silently."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import override_settings

from catalogue.models import Listing
from marketplace.errors import DomainError
from marketplace.models import Event
from orders.models import ConsumerOrder, Payable
from shipping.models import Parcel, TrackingEvent
from shipping.services.holds import parcels_recheck_holds
from shipping.services.parcels import (
    consumer_order_fulfil_and_pack,
    consumer_order_place,
    consumer_order_withdraw,
    parcel_ship,
    weight_shares,
)
from tests.factories.logistics import member_of, stocked_listing
from tests.factories.shipping import LastMilePartnerFactory

from .support import hold, semi_managed_listing, stock, storefront_user

pytestmark = pytest.mark.django_db


def place(listing: Listing, quantity: int = 2, **fields: object) -> ConsumerOrder:
    order = consumer_order_place(
        listing_id=listing.pk,
        quantity=quantity,
        external_id=str(fields.pop("external_id", "SO-1")),
        market=str(fields.pop("market", "US")),
        actor=storefront_user(),
        **fields,  # type: ignore[arg-type]
    )
    assert isinstance(order, ConsumerOrder)
    return order


def test_weight_shares_never_exceed_the_limit():
    with override_settings(PARCEL_MAX_WEIGHT_G=1000):
        assert weight_shares(7, 300) == [3, 3, 1]
        assert weight_shares(3, 300) == [3]
        assert weight_shares(2, 1500) == [1, 1]  # a unit is never split


@override_settings(PARCEL_MAX_WEIGHT_G=1000)
def test_a_fulfilled_order_is_packed_into_parcels_with_its_frozen_price():
    listing = stocked_listing(10)
    listing.product.weight_g = 400
    listing.product.save()
    partner = LastMilePartnerFactory(market="US", tracking_prefix="UP")
    order = place(listing, 5)
    assert (order.unit_price, order.currency, order.country) == (Decimal("9.99"), "USD", "US")
    consumer_order_fulfil_and_pack(order, actor=None)
    parcels = list(Parcel.objects.filter(order=order).order_by("pk"))
    assert [p.weight_g for p in parcels] == [800, 800, 400]
    assert all(p.weight_g <= 1000 for p in parcels)
    assert [p.declared_value for p in parcels] == [
        Decimal("19.98"),
        Decimal("19.98"),
        Decimal("9.99"),
    ]
    first = parcels[0]
    assert first.mode == Parcel.Mode.PLATFORM
    assert first.last_mile == partner
    assert first.tracking_number == f"UP{first.pk:010d}"
    assert (first.country, first.currency, first.market) == ("US", "USD", "US")
    [item] = first.items.all()
    assert (item.quantity, item.unit_value, item.hs_code, item.origin_country) == (
        2,
        Decimal("9.99"),
        listing.product.hs_code,
        listing.product.origin_country,
    )
    assert Event.objects.filter(kind="parcel.created").count() == 3
    # Again: nothing more.
    consumer_order_fulfil_and_pack(order, actor=None)
    assert Parcel.objects.filter(order=order).count() == 3
    assert Payable.objects.filter(order=order).count() == 1


def test_a_parcel_refused_by_compliance_is_held_with_its_reasons_and_released_later():
    listing = stocked_listing(3)
    order = place(listing, 1)
    market_hold = hold(listing)
    consumer_order_fulfil_and_pack(order, actor=None)
    parcel = Parcel.objects.get(order=order)
    assert parcel.held_at is not None
    assert [r["code"] for r in parcel.hold_reasons] == ["market_hold"]
    assert Event.objects.filter(kind="parcel.held", subject_id=str(parcel.pk)).count() == 1
    assert parcels_recheck_holds() == 0
    market_hold.lifted_at = market_hold.started_at
    market_hold.save()
    assert parcels_recheck_holds() == 1
    parcel.refresh_from_db()
    assert parcel.held_at is None
    assert parcel.hold_reasons == []
    assert Event.objects.filter(kind="parcel.released").count() == 1
    assert parcels_recheck_holds() == 0


def test_the_consumers_country_is_checked_against_the_market():
    listing = stocked_listing(3)
    from tests.factories.catalogue import retail_price

    retail_price(listing, "EU", "8.00")
    with pytest.raises(DomainError) as error:
        place(listing, 1, market="EU")
    assert error.value.code == "country_required"
    assert "country" in error.value.fields
    with pytest.raises(DomainError) as error:
        place(listing, 1, market="EU", country="GB")
    assert error.value.code == "country_not_in_market"
    order = place(listing, 1, market="EU", country="fr")
    assert (order.country, order.currency, order.unit_price) == ("FR", "EUR", Decimal("8.00"))


def test_a_semi_managed_order_reserves_overseas_stock_and_gets_a_parcel_to_ship():
    listing = semi_managed_listing(5)
    order = place(listing, 2)
    assert order.warehouse_id is None
    assert order.status == ConsumerOrder.Status.RESERVED
    assert (stock(listing).quantity, stock(listing).reserved) == (5, 2)
    parcel = Parcel.objects.get(order=order)
    assert parcel.mode == Parcel.Mode.SELLER
    assert parcel.tracking_number == ""
    assert parcel.status == Parcel.Status.CREATED
    with pytest.raises(DomainError) as error:
        consumer_order_fulfil_and_pack(order, actor=None)
    assert error.value.code == "shipped_by_seller"


def test_semi_managed_orders_are_refused_beyond_the_unreserved_stock_or_without_stock():
    listing = semi_managed_listing(3)
    place(listing, 2, external_id="a")
    with pytest.raises(DomainError) as error:
        place(listing, 2, external_id="b")
    assert error.value.code == "out_of_stock"
    assert "quantity" in error.value.fields
    from tests.factories.catalogue import retail_price

    retail_price(listing, "UK", "7.00")
    with pytest.raises(DomainError) as error:
        place(listing, 1, external_id="c", market="UK")
    assert error.value.code == "no_overseas_stock"
    assert stock(listing).reserved == 2
    assert ConsumerOrder.objects.count() == 1


def test_cancelling_a_semi_managed_order_releases_its_reservation_and_drops_its_parcel():
    listing = semi_managed_listing(3)
    order = place(listing, 2)
    consumer_order_withdraw(order, actor=None)
    assert stock(listing).reserved == 0
    assert not Parcel.objects.filter(order=order).exists()
    order.refresh_from_db()
    assert order.status == ConsumerOrder.Status.CANCELLED


def test_the_seller_ships_its_parcel_which_is_the_sale():
    listing = semi_managed_listing(5)
    order = place(listing, 2)
    parcel = Parcel.objects.get(order=order)
    seller = member_of(listing)
    shipped = parcel_ship(parcel, carrier="UPS", tracking_number="1z999aa10123456784", actor=seller)
    assert (shipped.carrier, shipped.tracking_number) == ("UPS", "1Z999AA10123456784")
    assert shipped.status == Parcel.Status.PICKED_UP
    assert shipped.picked_up_at is not None
    assert TrackingEvent.objects.filter(parcel=parcel, code="picked_up").count() == 1
    order.refresh_from_db()
    assert order.status == ConsumerOrder.Status.FULFILLED
    assert (stock(listing).quantity, stock(listing).reserved) == (3, 0)
    assert Payable.objects.get(order=order).amount == Decimal("60.00")
    assert Event.objects.filter(kind="parcel.shipped").count() == 1
    # The same post again changes nothing; another number is refused.
    parcel_ship(parcel, carrier="UPS", tracking_number="1Z999AA10123456784", actor=seller)
    with pytest.raises(DomainError) as error:
        parcel_ship(parcel, carrier="UPS", tracking_number="1Z000", actor=seller)
    assert error.value.code == "invalid_shipment"
    with pytest.raises(DomainError) as error:
        parcel_ship(parcel, carrier="DHL", tracking_number="JD0123456789", actor=seller)
    assert error.value.code == "already_shipped"
    assert Payable.objects.filter(order=order).count() == 1


def test_another_supplier_cannot_ship_the_parcel_nor_reuse_a_tracking_number():
    listing = semi_managed_listing(5)
    parcel = Parcel.objects.get(order=place(listing, 1, external_id="a"))
    other = semi_managed_listing(5)
    with pytest.raises(DomainError) as error:
        parcel_ship(parcel, carrier="UPS", tracking_number="ABC123456", actor=member_of(other))
    assert error.value.code == "not_found"
    theirs = Parcel.objects.get(order=place(other, 1, external_id="b"))
    parcel_ship(theirs, carrier="UPS", tracking_number="ABC123456", actor=member_of(other))
    with pytest.raises(DomainError) as error:
        parcel_ship(parcel, carrier="UPS", tracking_number="abc123456", actor=member_of(listing))
    assert error.value.code == "tracking_number_taken"
    parcel.refresh_from_db()
    assert parcel.tracking_number == ""


def test_a_shipment_refused_by_compliance_holds_the_parcel_and_sells_nothing():
    listing = semi_managed_listing(5)
    order = place(listing, 2)
    parcel = Parcel.objects.get(order=order)
    hold(listing)
    with pytest.raises(DomainError) as error:
        parcel_ship(parcel, carrier="UPS", tracking_number="ABC123456", actor=member_of(listing))
    assert error.value.code == "compliance_blocked"
    parcel.refresh_from_db()
    assert parcel.held_at is not None
    assert parcel.tracking_number == ""
    assert [r["code"] for r in parcel.hold_reasons] == ["market_hold"]
    order.refresh_from_db()
    assert order.status == ConsumerOrder.Status.RESERVED
    assert stock(listing).reserved == 2


def test_a_stock_report_below_the_reserved_units_is_refused():
    from catalogue.services.listings import overseas_stock_report

    listing = semi_managed_listing(5)
    place(listing, 3)
    with pytest.raises(DomainError) as error:
        overseas_stock_report(listing, market="US", quantity=2, actor=None)
    assert error.value.code == "below_reserved"
    assert "quantity" in error.value.fields
    overseas_stock_report(listing, market="US", quantity=3, actor=None)
    assert (stock(listing).quantity, stock(listing).reserved) == (3, 3)
