"""Live listings in categories whose programmes want lab tests, for the sampling tests."""

from __future__ import annotations

from decimal import Decimal

from catalogue.models import Category, Listing, OverseasStock
from compliance.models import Standard, TestProgramme
from tests.factories.catalogue import CategoryFactory, ListingFactory, ProductFactory, retail_price
from tests.factories.compliance import RequirementFactory, StandardFactory, TestProgrammeFactory


def category_with_lab_test(
    risk: str = Category.Risk.HIGH, *, market: str = "US", cost: str = "1000.00", code: str = ""
) -> tuple[Category, Standard]:
    """A category whose programme in `market` requires one lab test costing `cost`."""
    category = CategoryFactory(risk_level=risk, **({"code": code} if code else {}))
    standard = StandardFactory(market=market, test_cost_cny=Decimal(cost))
    programme: TestProgramme = TestProgrammeFactory(category=category, market=market)
    RequirementFactory(programme=programme, standard=standard)
    return category, standard


def live_listing(
    category: Category, *, market: str = "US", mode: str = Listing.Mode.FULLY_MANAGED, **fields
) -> Listing:
    fields.setdefault("status", Listing.Status.LIVE)
    listing = ListingFactory(product=ProductFactory(category=category), mode=mode, **fields)
    retail_price(listing, market)
    if mode == Listing.Mode.SEMI_MANAGED:
        OverseasStock.objects.create(listing=listing, market=market, quantity=5)
    return listing
