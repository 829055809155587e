"""Demand signals, forecasts and restock proposals in any state (what the services would have
left), for tests that need one but not the way it was made."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalogue.models import Listing
from marketplace.formatting import suppliers_today
from restock.models import DemandSignal, RestockProposal
from suppliers.models import Scorecard

from .catalogue import ListingFactory


class DemandSignalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DemandSignal

    listing = factory.SubFactory(
        ListingFactory, mode=Listing.Mode.FULLY_MANAGED, status=Listing.Status.LIVE
    )
    market = "US"
    day = factory.LazyFunction(lambda: suppliers_today() - timedelta(days=1))
    views = 100
    add_to_carts = 10
    units_ordered = 3


class RestockProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RestockProposal

    listing = factory.SubFactory(
        ListingFactory, mode=Listing.Mode.FULLY_MANAGED, status=Listing.Status.LIVE
    )
    supplier = factory.LazyAttribute(lambda o: o.listing.supplier)
    quantity = 60
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    method = "CrostonSBA"
    mean_daily = Decimal("2.000")
    confirm_days = 3
    production_days = 10
    transit_days = 3
    receiving_days = 2
    demand_over_lead = Decimal("36.000")
    service_level = Decimal("0.9500")
    safety_stock = Decimal("12.000")
    safety_method = "95th percentile of the backtest's errors over the lead time"
    available = 0
    inbound = 0
    open_orders = 0
    need = Decimal("48.000")
    case_pack = 12
    cap = None


class ScorecardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scorecard

    supplier = factory.SubFactory("tests.factories.suppliers.SupplierFactory")
    score = Decimal("80.00")
    score_high = Decimal("90.00")
    standing = "good"
