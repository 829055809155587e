"""The to-ship queue in a real browser: the countdowns tick, an order at risk is highlighted, a
typed waybill ticks its order, shipping it works, and its packing list opens with a print
button. See conftest.py for the route guard every test runs under."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import JitOrder
from tests.factories.accounts import PASSWORD
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

CLOCK = re.compile(r"^\d\d:\d\d:\d\d$")


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def test_the_countdown_ticks_and_one_order_ships_with_its_waybill(live_server, page, shot):
    listing = jit_listing()
    MembershipFactory(supplier=listing.supplier, user__username="shipper")
    risky = jit_order(
        listing, external_id="SO-RISKY", ordered_at=timezone.now() - timedelta(hours=20)
    )
    fresh = jit_order(listing, external_id="SO-FRESH")

    page.goto(live_server.url + reverse("portal:orders_to_ship"))
    page.fill("#id_username", "shipper")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == reverse("portal:orders_to_ship"), page.url

    risky_row = page.locator(f"tr[data-order='{risky.pk}']")
    assert "row-risk" in (risky_row.get_attribute("class") or "")
    assert risky_row.locator(".pill-risk").is_visible()
    countdown = risky_row.locator("[data-testid=countdown-24h]")
    first = countdown.inner_text()
    assert CLOCK.match(first), first
    assert first.startswith("03:5"), first  # about 4 h to the 24 h deadline
    page.wait_for_function(
        "([el, before]) => el.textContent !== before",
        arg=[countdown.element_handle(), first],
        timeout=3000,
    )
    assert CLOCK.match(countdown.inner_text())
    shot("to-ship")

    page.fill(f"#waybill_{fresh.pk}", "SF123456789012")
    assert page.locator(f"#ship-{fresh.pk}").is_checked()  # typing a waybill ticks the order
    assert not page.locator(f"#ship-{risky.pk}").is_checked()
    packing = page.locator("[data-testid=packing-list-link]").get_attribute("href")
    assert packing == reverse("portal:orders_packing_list") + f"?ids={fresh.pk}"
    with page.expect_navigation():
        page.click("[data-testid=ship-selected]")
    assert path_of(page) == reverse("portal:orders_to_ship"), page.url
    assert "1 order shipped by SF Express" in page.locator("main").inner_text()
    assert page.locator(f"tr[data-order='{fresh.pk}']").count() == 0
    assert page.locator(f"tr[data-order='{risky.pk}']").count() == 1
    shot("shipped")
    fresh.refresh_from_db()
    assert (fresh.status, fresh.waybill) == (JitOrder.Status.SHIPPED, "SF123456789012")

    with page.expect_navigation():
        page.click("[data-testid=shipped] a")
    assert path_of(page) == reverse("portal:orders_packing_list"), page.url
    sheet = page.locator("[data-testid=packing-rows]").inner_text()
    assert "SO-FRESH" in sheet
    assert "SF123456789012" in sheet
    assert page.locator("button[data-print]").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    shot("packing-list-print")
