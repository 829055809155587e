"""A supplier reads its parcels' events as sentences, never as codes: a semi-managed order to
ship, its parcel held and released, shipped."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orders.models import ConsumerOrder
from shipping.models import Parcel
from shipping.services.holds import parcels_recheck_holds
from shipping.services.parcels import consumer_order_place, parcel_ship
from tests.factories.logistics import member_of

from .support import hold, semi_managed_listing, storefront_user

pytestmark = pytest.mark.django_db


def test_the_parcel_events_read_as_sentences(client):
    listing = semi_managed_listing(5)
    owner = member_of(listing)
    order = consumer_order_place(
        listing_id=listing.pk, quantity=1, external_id="N-1", market="US", actor=storefront_user()
    )
    assert isinstance(order, ConsumerOrder)
    parcel = Parcel.objects.get(order=order)
    market_hold = hold(listing)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the refusal itself is tested elsewhere
        parcel_ship(parcel, carrier="UPS", tracking_number="1ZNOTE00001", actor=owner)
    market_hold.lifted_at = market_hold.started_at
    market_hold.save()
    parcels_recheck_holds()
    parcel_ship(parcel, carrier="UPS", tracking_number="1ZNOTE00001", actor=owner)
    client.force_login(owner)
    page = client.get(reverse("portal:notifications")).content.decode()
    assert "your own stock in United States" in page
    assert "New consumer order to ship yourself" in page
    assert "is held: compliance does not allow shipping it to United States" in page
    assert "is no longer held and may ship" in page
    assert "You shipped parcel" in page
    assert "1ZNOTE00001" in page
    assert ">parcel." not in page  # no raw code in the text (data-kind attributes aside)
    assert reverse("portal:parcel_detail", args=[parcel.pk]) in page
