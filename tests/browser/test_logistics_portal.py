"""Consignment stock in a real browser: a supplier signs in, finds the stocking order through the
Stock navigation, accepts it, sends a shipment with its waybill and books it, then sees its stock
with the ageing bars and a 100-day-old position highlighted. See conftest.py for the route guard
every test runs under."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from logistics.models import InboundShipment, StockingOrder, StockLot
from logistics.services.inbound.stocking import stocking_order_issue
from tests.factories.accounts import PASSWORD
from tests.factories.catalogue import ProductFactory
from tests.factories.logistics import WarehouseFactory, receive_stock, stocked_listing
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

CLOCK = re.compile(r"^\d+ d \d\d:\d\d:\d\d$")


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def test_accept_a_stocking_order_send_it_and_see_the_stock(live_server, page, shot):
    listing = stocked_listing()
    listing.product = ProductFactory(title_en="Harbour Kite", title_zh="海港风筝")
    listing.save(update_fields=["product"])
    MembershipFactory(supplier=listing.supplier, user__username="stocker")
    hub = WarehouseFactory(name="Dongguan hub")
    receive_stock(listing, 12, warehouse=hub)
    # Test data: the lot came in 100 days ago.
    StockLot.objects.filter(position__listing=listing).update(
        received_at=timezone.now() - timedelta(days=100)
    )
    order = stocking_order_issue(listing, quantity=24, warehouse=hub, actor=None, urgent=True)

    page.goto(live_server.url + reverse("portal:stock"))
    page.fill("#id_username", "stocker")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == reverse("portal:stock"), page.url
    nav = page.locator(f"header nav a[href='{reverse('portal:stock')}']")
    assert nav.get_attribute("aria-current") == "page"

    with page.expect_navigation():
        page.click(f"nav.tabs a[href='{reverse('portal:stocking_orders')}']")
    row = page.locator(f"tr[data-stocking-order='{order.pk}']")
    countdown = row.locator("[data-testid=expiry-countdown]")
    first = countdown.inner_text()
    assert CLOCK.match(first), first
    assert first.startswith("6 d 23:5"), first  # urgent: 7 days
    page.wait_for_function(
        "([el, before]) => el.textContent !== before",
        arg=[countdown.element_handle(), first],
        timeout=3000,
    )
    shot("stocking-orders")

    with page.expect_navigation():
        row.locator("a", has_text="Answer").click()
    assert path_of(page) == reverse("portal:stocking_order_detail", args=[order.pk])
    with page.expect_navigation():
        page.click("[data-testid=accept]")
    assert "Stocking order accepted" in page.locator("main").inner_text()
    assert page.locator("[data-testid=stocking-status]").inner_text() == "Accepted"
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ACCEPTED

    with page.expect_navigation():
        page.click("[data-testid=send]")
    assert path_of(page) == reverse("portal:stocking_order_send", args=[order.pk])
    assert page.input_value("#id_declared") == "24"
    assert page.locator("[data-testid=no-pickup]").is_visible()
    page.fill("#id_declared", "20")
    page.select_option("#id_carrier", "sf_express")
    page.fill("#id_waybill", "sf246810")
    shot("send")
    with page.expect_navigation():
        page.click("[data-testid=create-shipment]")
    shipment = InboundShipment.objects.get(stocking_order=order)
    assert path_of(page) == reverse("portal:shipment_detail", args=[shipment.pk]), page.url
    assert "SF246810" in page.locator("[data-testid=transport]").inner_text()
    assert page.locator("[data-testid=shipment-status]").inner_text() == "Draft"

    with page.expect_navigation():
        page.click("[data-testid=book]")
    assert page.locator("[data-testid=shipment-status]").inner_text() == "Booked"
    assert page.locator("[data-testid=book]").count() == 0
    shot("shipment-booked")
    shipment.refresh_from_db()
    assert shipment.status == InboundShipment.Status.BOOKED
    assert list(shipment.lines.values_list("declared", flat=True)) == [20]

    with page.expect_navigation():
        page.click(f"header nav a[href='{reverse('portal:stock')}']")
    assert page.locator("[data-testid=total-on-hand]").inner_text() == "12"
    position = page.locator("[data-testid=positions] tbody tr").first
    assert "Harbour Kite" in position.inner_text()
    assert "row-risk" in (position.get_attribute("class") or "")
    assert position.locator("[data-testid=age]").inner_text().startswith("100")
    bars = page.locator("[data-testid=ageing] .bar")
    assert bars.count() == 4
    # The over-90-days bar is full width; the empty buckets are no wider than their minimum.
    widths = [bars.nth(i).bounding_box()["width"] for i in range(4)]
    assert widths[3] > 100, widths
    assert max(widths[:3]) <= 2, widths
    shot("stock")
