"""Customs decisions in the admin, read only: the list filtered by outcome and market with money
in each decision's currency; a decision's page with its rule and arithmetic worded; the landed
cost page reachable from the dashboard."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import OPERATORS
from shipping.models import CustomsDecision
from shipping.selectors.landed_cost import landed_costs
from shipping.services.customs import parcels_decide
from tests.factories.accounts import UserFactory, staff_user
from tests.factories.catalogue import ListingFactory
from tests.factories.shipping import consumer_order, parcel

pytestmark = pytest.mark.django_db

LIST = "/admin/shipping/customsdecision/"


@pytest.fixture
def reader(client):
    user = staff_user(OPERATORS, username="customs-reader")
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_customsdecision", "view_deminimisrule"]),
        Permission.objects.get(codename="view_listing"),
    )
    client.force_login(user)
    return user


def decided(market: str, price: str, day: date) -> CustomsDecision:
    made = parcel(consumer_order(market=market, unit_price=price))
    parcels_decide([made.pk], ship_date=day)
    return CustomsDecision.objects.get(parcel=made)


def test_the_list_filters_by_outcome_and_market(client, reader):
    decided("EU", "40.00", date(2026, 7, 1))
    decided("US", "40.00", date(2026, 7, 1))
    page = client.get(LIST)
    assert page.status_code == 200
    assert "3.00 EUR" in page.content.decode()
    flat = client.get(LIST, {"outcome__exact": "flat_duty"}).context["cl"].result_list
    assert [d.outcome for d in flat] == ["flat_duty"]
    us = client.get(LIST, {"parcel__market__exact": "US"}).context["cl"].result_list
    assert [d.currency for d in us] == ["USD"]


def test_the_list_keeps_a_constant_number_of_queries(client, reader, django_assert_max_num_queries):
    decided("US", "10.00", date(2025, 1, 1))
    with django_assert_max_num_queries(40) as few:
        client.get(LIST)
    for _ in range(10):
        decided("JP", "5000", date(2025, 1, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).status_code == 200


def test_a_decisions_page_words_its_arithmetic(client, reader):
    decision = decided("EU", "200.00", date(2025, 3, 1))
    page = client.get(f"{LIST}{decision.pk}/change/").content.decode()
    assert "Customs value: 200.00 EUR." in page
    assert "is over the duty threshold of 150.00 EUR: the parcel is entered." in page
    assert f"/admin/customs/deminimisrule/{decision.rule_id}/change/" in page
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(f"{LIST}{decision.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "海关价值" in chinese.content.decode()


def test_decisions_are_read_only(client, reader):
    decision = decided("US", "10.00", date(2025, 1, 1))
    assert client.post(f"{LIST}{decision.pk}/delete/").status_code == 403
    assert client.get(f"{LIST}add/").status_code == 403


def test_landed_cost_adds_goods_freight_duty_and_tax(reader):
    listing = ListingFactory(supply_price_cny=Decimal("69.90"), product__weight_g=500)
    listing.prices.create(market="UK", amount=Decimal("20.00"), currency="GBP", set_by=reader)
    [uk, us] = landed_costs(
        type(listing).objects.filter(pk=listing.pk), ["UK", "US"], day=date(2026, 3, 1)
    )
    # 1 CNY = 0.743 / 6.99 GBP on 2026-01-01's rates
    assert uk.goods == Decimal("7.43")
    assert uk.freight == Decimal("3.08")  # 58 CNY/kg x 0.5 kg
    assert (uk.duty, uk.tax, uk.tax_at_sale) == (Decimal("0.00"), Decimal("4.00"), True)
    assert uk.total == Decimal("14.51")
    assert us.outcome == "entry"
    assert us.duty > 0  # the Section 122 surcharge, on the goods' value (no US price)


def test_the_landed_cost_page_is_linked_from_the_dashboard(client, reader):
    ListingFactory(supply_price_cny=Decimal("10.00"))
    index = client.get("/admin/").content.decode()
    assert "/admin/landed-cost/" in index
    page = client.get("/admin/landed-cost/", {"market": "AU"})
    assert page.status_code == 200
    assert "AUD" in page.content.decode()


def test_the_landed_cost_page_needs_the_listing_view_permission(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/admin/landed-cost/").status_code == 403
    assert "/admin/landed-cost/" not in client.get("/admin/").content.decode()


def test_the_landed_cost_page_keeps_a_constant_number_of_queries(
    client, reader, django_assert_max_num_queries
):
    ListingFactory(supply_price_cny=Decimal("10.00"))
    with django_assert_max_num_queries(40) as few:
        client.get("/admin/landed-cost/")
    for _ in range(10):
        ListingFactory(supply_price_cny=Decimal("12.00"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/admin/landed-cost/")
    assert page.content.decode().count('data-market="JP"') == 11


def test_the_landed_cost_page_names_markets_and_writes_yen_whole(client, reader):
    ListingFactory(supply_price_cny=Decimal("10.00"))
    page = client.get("/admin/landed-cost/").content.decode()
    assert "Japan" in page
    assert "United States" in page
    assert "All suppliers" in page
    assert "---------" not in page
    assert re.search(r"\d JPY", page)
    assert not re.search(r"\d\.\d\d JPY", page)
