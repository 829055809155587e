"""Semi-managed orders racing for the seller's overseas stock, on PostgreSQL with real threads:
exactly the unreserved units are promised, never more, whatever the interleaving."""

from __future__ import annotations

import pytest

from catalogue.models import OverseasStock
from marketplace.errors import DomainError
from orders.models import ConsumerOrder
from shipping.models import Parcel
from shipping.services.parcels import consumer_order_place
from tests.concurrency import run_together

from .support import semi_managed_listing, storefront_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_orders_reserve_exactly_the_available_units():
    listing = semi_managed_listing(3)
    actor = storefront_user()

    def order(n: int):
        return lambda: consumer_order_place(
            listing_id=listing.pk, quantity=1, external_id=f"race-{n}", market="US", actor=actor
        )

    outcome = run_together(*(order(n) for n in range(6)))
    made = [r for r in outcome.results if r is not None]
    assert len(made) == 3
    assert len(outcome.errors) == 3
    assert all(isinstance(e, DomainError) and e.code == "out_of_stock" for e in outcome.errors)
    stock = OverseasStock.objects.get(listing=listing, market="US")
    assert (stock.quantity, stock.reserved) == (3, 3)
    assert ConsumerOrder.objects.filter(listing=listing).count() == 3
    assert Parcel.objects.filter(listing=listing).count() == 3
