"""Returns' fixtures: the seeded reasons (seeded again: a transactional test empties the
tables), a storefront, a return centre and delivered parcels of orders the storefront placed."""

from __future__ import annotations

import importlib
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from accounts.models import Scope, User
from catalogue.models import Listing
from customs.models import ExchangeRate
from logistics.models import Warehouse
from returns.models import ReturnRequest
from returns.services.requests import LineInput, return_request_create
from shipping.models import Parcel
from tests.factories.accounts import api_client
from tests.factories.catalogue import ListingFactory
from tests.factories.logistics import WarehouseFactory
from tests.factories.shipping import consumer_order, delivered_parcel
from tests.factories.suppliers import funded_supplier


def seed_reasons() -> None:
    importlib.import_module("returns.migrations.0003_seed_return_reasons").seed(apps, None)


@pytest.fixture(autouse=True)
def reasons(db: None) -> None:
    seed_reasons()


def storefront_user(name: str = "Storefront") -> User:
    client, _key = api_client([Scope.READ, Scope.ORDERS_WRITE], name=name)
    return client.user


@pytest.fixture
def storefront(db: None) -> User:
    return storefront_user()


def return_centre(market: str = "US") -> Warehouse:
    return WarehouseFactory(
        code=f"rc-{market.lower()}",
        name=f"Return centre {market}",
        kind=Warehouse.Kind.RETURN_CENTRE,
        market=market,
    )


@pytest.fixture
def centre(db: None) -> Warehouse:
    return return_centre("US")


def usd_rate(base: str, rate: str, day: date | None = None) -> ExchangeRate:
    """The day's rate to USD (today's by default: later than any seeded row)."""
    return ExchangeRate.objects.create(
        base=base, quote="USD", rate=Decimal(rate), effective_from=day or timezone.localdate()
    )


def delivered(
    storefront: User,
    *,
    market: str = "US",
    quantity: int = 2,
    unit_price: str = "25.00",
    listing: Listing | None = None,
    delivered_at: datetime | None = None,
    supply_price: str = "20.00",
) -> Parcel:
    """A delivered parcel of an order the storefront placed, its listing's supplier funded."""
    listing = listing or ListingFactory(
        supplier=funded_supplier(),
        status=Listing.Status.LIVE,
        supply_price_cny=Decimal(supply_price),
    )
    order = consumer_order(
        listing, market=market, quantity=quantity, unit_price=unit_price, placed_by=storefront
    )
    return delivered_parcel(order, delivered_at=delivered_at or timezone.now())


def open_return(
    storefront: User,
    parcel: Parcel,
    *,
    quantity: int = 1,
    reason: str = "defective",
    note: str = "",
    external_id: str = "R-1",
) -> ReturnRequest:
    item = parcel.items.get()
    return return_request_create(
        parcel_id=parcel.pk,
        external_id=external_id,
        lines=[LineInput(item=item.pk, quantity=quantity, reason=reason, note=note)],
        actor=storefront,
    )
