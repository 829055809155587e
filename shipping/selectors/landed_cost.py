"""Landed cost per listing and market (SPEC, "Customs and de minimis"): what one unit costs the
platform once delivered in the market, in the market's currency, today:

- goods: the listing's supply price (CNY) at the day's exchange rate;
- freight: the market's freight rate (CNY per kg) x the product's weight, converted;
- duty and tax: the customs judgement of a one-unit courier parcel shipped today, its value the
  listing's retail price in the market (the goods when it has none).

Shown to operators (backoffice) and used by nothing else yet. Set-based: the rules, freight
rates and exchange rates are loaded once for all the listings asked about."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.models import Listing, ListingPrice
from customs.models import Channel, FreightRate
from customs.selectors.judge import ItemFacts, ParcelFacts, judge, rulebook_on
from customs.selectors.rates import round_money
from marketplace.errors import DomainError
from marketplace.markets import MARKET_CURRENCY

CNY = "CNY"
GRAMS_PER_KG = Decimal(1000)


@dataclass(frozen=True)
class LandedCost:
    listing_id: int
    market: str
    currency: str
    goods: Decimal | None = None
    freight: Decimal | None = None
    duty: Decimal | None = None
    tax: Decimal | None = None
    outcome: str = ""
    tax_at_sale: bool = False
    # Why a figure is missing (no supply price, no freight or exchange rate), for people.
    missing: str = ""

    @property
    def total(self) -> Decimal | None:
        terms = (self.goods, self.freight, self.duty, self.tax)
        if any(term is None for term in terms):
            return None
        return sum((term for term in terms if term is not None), Decimal("0.00"))


def landed_costs(
    listings: QuerySet[Listing] | Iterable[Listing],
    markets: Sequence[str],
    *,
    day: date | None = None,
) -> list[LandedCost]:
    """One LandedCost per listing and market, in the listings' order."""
    day = day or timezone.localdate()
    prices = Prefetch("prices", queryset=ListingPrice.objects.filter(market__in=markets))
    if isinstance(listings, QuerySet):
        listings = listings.select_related("product").prefetch_related(prices)
    else:  # loaded by the caller (with their products): their prices in one query
        listings = list(listings)
        prefetch_related_objects(listings, prices)
    book = rulebook_on(day, markets)
    freight_per_kg = {
        row.market: row.per_kg_cny
        for row in FreightRate.objects.in_force(day)
        .filter(market__in=markets)
        .order_by("effective_from", "id")
    }
    rates: dict[str, Decimal | None] = {}
    for market in markets:
        try:
            rates[market] = book.rate(CNY, MARKET_CURRENCY[market])
        except DomainError:
            rates[market] = None
    ioss = settings.PLATFORM_IOSS_REGISTERED

    costs: list[LandedCost] = []
    for listing in listings:
        product = listing.product
        retail = {price.market: price.amount for price in listing.prices.all()}
        for market in markets:
            currency = MARKET_CURRENCY[market]
            rate = rates[market]
            if rate is None:
                costs.append(
                    LandedCost(
                        listing.pk,
                        market,
                        currency,
                        missing=_("No exchange rate from CNY to %(currency)s.")
                        % {"currency": currency},
                    )
                )
                continue
            goods = (
                round_money(listing.supply_price_cny * rate, currency)
                if listing.supply_price_cny is not None
                else None
            )
            per_kg = freight_per_kg.get(market)
            freight = (
                round_money(per_kg * product.weight_g / GRAMS_PER_KG * rate, currency)
                if per_kg is not None
                else None
            )
            value = retail.get(market, goods)
            missing = []
            if goods is None:
                missing.append(_("No supply price."))
            if freight is None:
                missing.append(_("No freight rate in force."))
            if value is None:
                costs.append(
                    LandedCost(
                        listing.pk, market, currency, goods, freight, missing=" ".join(missing)
                    )
                )
                continue
            answer = judge(
                ParcelFacts(
                    market=market,
                    channel=Channel.COURIER.value,
                    items=[ItemFacts(product.hs_code, product.origin_country, 1, value)],
                    ship_date=day,
                    ioss_registered=ioss,
                ),
                book,
            )
            costs.append(
                LandedCost(
                    listing.pk,
                    market,
                    currency,
                    goods,
                    freight,
                    answer.duty,
                    answer.tax,
                    answer.outcome.value,
                    answer.tax_at_sale,
                    " ".join(missing),
                )
            )
    return costs
