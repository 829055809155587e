"""The portal on a phone (390 x 844, touch): the pages a supplier works from never scroll
sideways, in English and in Chinese (tables turn into cards or scroll inside their own box), and
a JIT order ships with its waybill by touch alone. See conftest.py for the route guard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Listing
from orders.models import JitOrder
from orders.services.sweep import sweep_jit_deadlines
from tests.factories.accounts import PASSWORD
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.logistics import WarehouseFactory, receive_stock
from tests.factories.orders import jit_listing, jit_order
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
PAGES = ["orders_to_ship", "orders", "stock", "ledger", "notifications"]


def supplier_at_work() -> tuple[Listing, list[JitOrder]]:
    """A JIT supplier with orders at every stage of the clock, a penalty, consignment stock in a
    warehouse with a long Chinese name, and notifications."""
    listing = jit_listing()
    listing.product = ProductFactory(
        title_en="Magnetic building tiles, 60 pieces, rainbow colours",
        title_zh="彩虹色磁力片积木六十片装益智玩具",
    )
    listing.save(update_fields=["product"])
    MembershipFactory(supplier=listing.supplier, user__username="phone", role="owner")
    now = timezone.now()
    orders = [
        jit_order(listing, external_id=f"SO-2026-{n:05d}", ordered_at=now - timedelta(hours=h))
        for n, h in enumerate([1, 19, 23, 25, 30])
    ]
    sweep_jit_deadlines()  # reminders and a late penalty
    stocked = ListingFactory(
        supplier=listing.supplier,
        status=Listing.Status.LIVE,
        product=ProductFactory(title_en="Plush panda, 30 cm", title_zh="熊猫毛绒公仔30厘米"),
    )
    hub = WarehouseFactory(
        name="Guangzhou Baiyun cross-border consolidation hub",
        name_zh="广州白云跨境集货中心仓",
    )
    receive_stock(stocked, 24, warehouse=hub)
    return listing, orders


def sign_in(page: Any, live_server: Any, language: str) -> None:
    page.goto(live_server.url + reverse("portal:orders_to_ship"))
    page.fill("#id_username", "phone")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.tap("main form button[type=submit]")
    if language != "en":
        with page.expect_navigation():
            page.tap(f"[data-testid=lang-{language}]")
    assert page.evaluate("document.documentElement.lang") == language


@pytest.mark.parametrize("browser_context_args", [PHONE])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_work_pages_never_scroll_sideways_on_a_phone(live_server, page, shot, language):
    supplier_at_work()
    sign_in(page, live_server, language)
    for name in PAGES:
        page.goto(live_server.url + reverse(f"portal:{name}"))
        width = page.evaluate("window.innerWidth")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        shot(f"{name}-{language}")
        assert width == 390, (name, width)  # the layout viewport did not grow to fit
        assert scroll <= width, f"{name} ({language}) is {scroll} px wide on a 390 px phone"


@pytest.mark.parametrize("browser_context_args", [PHONE])
def test_a_jit_order_ships_with_its_waybill_by_touch(live_server, page, shot):
    _listing, orders = supplier_at_work()
    order = orders[1]
    sign_in(page, live_server, "zh-hans")
    card = page.locator(f"tr[data-order='{order.pk}']")
    card.locator("label.ship-toggle").tap()
    assert page.locator(f"#ship-{order.pk}").is_checked()
    page.tap(f"#waybill_{order.pk}")
    page.keyboard.type("SF123456789012")
    shot("filled")
    button = page.locator("[data-testid=ship-selected]")
    assert button.is_visible()  # kept in reach at the bottom of the screen
    with page.expect_navigation():
        button.tap()
    assert "已通过顺丰将 1 个订单发往" in page.locator("main").inner_text()
    assert page.locator(f"tr[data-order='{order.pk}']").count() == 0
    shot("shipped")
    order.refresh_from_db()
    assert (order.status, order.waybill) == (JitOrder.Status.SHIPPED, "SF123456789012")
