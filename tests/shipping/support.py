"""What the parcel tests share: a semi-managed listing with overseas stock, a storefront user,
a market hold (compliance refuses selling and shipping there)."""

from __future__ import annotations

from decimal import Decimal

from accounts.models import ApiClient, User
from catalogue.models import Listing, OverseasStock
from compliance.models import MarketHold
from tests.factories.accounts import UserFactory, api_client
from tests.factories.catalogue import ListingFactory, retail_price
from tests.factories.suppliers import funded_supplier


def semi_managed_listing(units: int = 5, *, market: str = "US", **fields: object) -> Listing:
    listing = ListingFactory(
        supplier=funded_supplier(),
        mode=Listing.Mode.SEMI_MANAGED,
        status=Listing.Status.LIVE,
        supply_price_cny=Decimal("30.00"),
        **fields,
    )
    retail_price(listing, market, "24.50")
    OverseasStock.objects.create(listing=listing, market=market, quantity=units)
    return listing


def storefront_user() -> User:
    """The storefront's API user (one per test database)."""
    existing = ApiClient.objects.filter(name="Storefront").first()
    if existing is not None:
        return existing.user
    client, _plain = api_client(scopes=["read", "orders:write"])
    return client.user


def hold(listing: Listing, market: str = "US") -> MarketHold:
    return MarketHold.objects.create(
        listing=listing, market=market, reason=MarketHold.Reason.OFFICER, placed_by=UserFactory()
    )


def stock(listing: Listing, market: str = "US") -> OverseasStock:
    return OverseasStock.objects.get(listing=listing, market=market)
