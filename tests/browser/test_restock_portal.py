"""Restock proposals in a real browser: a supplier finds an urgent proposal through the Restock
navigation, opens it, reads the arithmetic and the chart, confirms a changed quantity and a ship
date, and sees the stocking order it issued; on a phone (390 px) the list and the proposal read
as cards in English and Chinese without scrolling sideways. See conftest.py for the route guard
every test runs under."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Listing
from logistics.models import StockingOrder, Warehouse
from marketplace.formatting import suppliers_today
from restock.models import Forecast, RestockProposal
from tests.factories.accounts import PASSWORD
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.logistics import WarehouseFactory
from tests.factories.restock import DemandSignalFactory, RestockProposalFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def supplier_with_proposals() -> tuple[RestockProposal, RestockProposal]:
    WarehouseFactory(code="gz-hub", name="Guangzhou hub", kind=Warehouse.Kind.HUB)
    listing = ListingFactory(
        mode=Listing.Mode.FULLY_MANAGED,
        status=Listing.Status.LIVE,
        first_batch_accepted_at=timezone.now(),
        product=ProductFactory(
            title_en="Magnetic building tiles, 60 pieces, rainbow colours",
            title_zh="彩虹色磁力片积木六十片装益智玩具",
        ),
    )
    MembershipFactory(supplier=listing.supplier, user__username="restocker", role="owner")
    today = suppliers_today()
    for back in range(0, 56, 3):
        DemandSignalFactory(
            listing=listing, day=today - timedelta(days=back), units_ordered=back % 5
        )
    Forecast.objects.create(
        listing=listing,
        pattern="intermittent",
        method="CrostonSBA",
        horizon_days=18,
        daily=[2.4] * 18,
        mean_daily="2.400",
        rate_7d="9.000",
        rate_28d="2.000",
        trending=True,
    )
    urgent = RestockProposalFactory(
        listing=listing,
        urgent=True,
        quantity=48,
        mean_daily="2.400",
        demand_over_lead="43.200",
        available=10,
        need="45.200",
        case_pack=12,
    )
    other = ListingFactory(
        supplier=listing.supplier,
        mode=Listing.Mode.FULLY_MANAGED,
        status=Listing.Status.LIVE,
        product=ProductFactory(title_en="Plush panda, 30 cm", title_zh="熊猫毛绒公仔30厘米"),
    )
    snoozed = RestockProposalFactory(listing=other, snoozed_until=today + timedelta(days=3))
    return urgent, snoozed


def sign_in(page: Any, live_server: Any, language: str = "en") -> None:
    page.goto(live_server.url + reverse("portal:restock_proposals"))
    page.fill("#id_username", "restocker")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    if language != "en":
        with page.expect_navigation():
            page.click(f"[data-testid=lang-{language}]")
    assert page.evaluate("document.documentElement.lang") == language


def test_find_an_urgent_proposal_read_why_and_confirm_it(live_server, page, shot):
    urgent, snoozed = supplier_with_proposals()
    sign_in(page, live_server)
    assert path_of(page) == reverse("portal:restock_proposals"), page.url
    nav = page.locator(f"header nav a[href='{reverse('portal:restock_proposals')}']")
    assert nav.get_attribute("aria-current") == "page"
    rows = page.locator("[data-testid=restock-proposals] tbody tr")
    assert rows.nth(0).get_attribute("data-proposal") == str(urgent.pk)
    assert rows.nth(1).get_attribute("data-proposal") == str(snoozed.pk)
    assert rows.nth(0).locator("[data-testid=urgent]").is_visible()
    assert "Snoozed until" in rows.nth(1).inner_text()
    shot("list")

    with page.expect_navigation():
        rows.nth(0).locator("a", has_text="Answer").click()
    assert path_of(page) == reverse("portal:restock_proposal_detail", args=[urgent.pk])
    words = page.locator("[data-testid=arithmetic-words]").inner_text()
    assert words.startswith(
        "Forecast: 2.4 units a day (Croston SBA, intermittent demand) \u00d7 18"
    )
    assert "rounded up to cases of 12 = 48" in words
    chart = page.locator("[data-testid=demand-chart] svg")
    assert chart.is_visible()
    assert chart.locator("[data-testid=chart-forecast]").count() == 1
    shot("detail")

    ship_by = suppliers_today() + timedelta(days=5)
    page.fill("#id_quantity", "36")
    page.fill("#id_ship_by", ship_by.isoformat())
    with page.expect_navigation():
        page.click("[data-testid=confirm-form] button[type=submit]")
    assert "is issued" in page.locator("main").inner_text()
    assert page.locator("[data-testid=proposal-status]").inner_text() == "Confirmed"
    link = page.locator("[data-testid=proposal-stocking-order]")
    order = StockingOrder.objects.get()
    assert (order.quantity, order.urgent) == (36, True)
    assert link.inner_text() == f"#{order.pk}"
    shot("confirmed")

    with page.expect_navigation():
        page.click("[data-testid=restock-tab-history]")
    assert page.locator(f"tr[data-proposal='{urgent.pk}']").is_visible()


@pytest.mark.parametrize("browser_context_args", [PHONE])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_restock_pages_are_cards_on_a_phone(live_server, page, shot, language):
    urgent, _snoozed = supplier_with_proposals()
    sign_in(page, live_server, language)
    for name, url in (
        ("list", reverse("portal:restock_proposals")),
        ("detail", reverse("portal:restock_proposal_detail", args=[urgent.pk])),
    ):
        page.goto(live_server.url + url)
        width = page.evaluate("window.innerWidth")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        shot(f"{name}-{language}")
        assert width == 390, (name, width)
        assert scroll <= width, f"{name} ({language}) is {scroll} px wide on a 390 px phone"
    page.goto(live_server.url + reverse("portal:restock_proposals"))
    card = page.locator(f"tr[data-proposal='{urgent.pk}']")
    assert card.evaluate("el => getComputedStyle(el).display") == "block"
