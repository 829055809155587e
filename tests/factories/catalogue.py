from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from catalogue.models import MARKET_CURRENCY, Category, Listing, ListingPrice, Product, Tender

from .accounts import UserFactory
from .suppliers import SupplierFactory


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"toys-{n}")
    name_en = "Toys"
    name_zh = "玩具"
    risk_level = Category.Risk.HIGH
    price_band_min = "5.00"
    price_band_max = "50.00"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    title_en = factory.Sequence(lambda n: f"Building blocks set {n}")
    title_zh = factory.Sequence(lambda n: f"积木套装{n}")
    category = factory.SubFactory(CategoryFactory)
    hs_code = "950300"
    weight_g = 450
    length_cm = "30.0"
    width_cm = "20.0"
    height_cm = "8.0"
    declared_value_usd = "6.50"
    reference_price_cny = "18.00"


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    supplier = factory.SubFactory(SupplierFactory)
    product = factory.SubFactory(ProductFactory)
    mode = Listing.Mode.FULLY_MANAGED


def retail_price(listing: Listing, market: str = "US", amount: str = "9.99") -> ListingPrice:
    """The retail price an operator sets before a listing sells in a market."""
    return ListingPrice.objects.create(
        listing=listing,
        market=market,
        currency=MARKET_CURRENCY[market],
        amount=Decimal(amount),
        set_by=UserFactory(is_staff=True),
    )


class TenderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tender

    product = factory.SubFactory(ProductFactory)
    quantity = 500
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    opened_by = factory.SubFactory(UserFactory, is_staff=True)
