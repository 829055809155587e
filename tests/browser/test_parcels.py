"""The portal's Parcels section on a phone (390 x 844, touch): its pages never scroll sideways in
English or Chinese (tables become cards), and a seller ships a semi-managed parcel from the "To
ship" tab by touch: carrier, tracking number, Ship; the parcel is picked up and leaves the tab.
See conftest.py for the route guard."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from orders.models import ConsumerOrder
from shipping.models import Parcel
from shipping.services.parcels import consumer_order_place
from tests.factories.accounts import PASSWORD
from tests.factories.catalogue import ProductFactory
from tests.factories.suppliers import MembershipFactory
from tests.shipping.support import semi_managed_listing, storefront_user

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
PAGES = ["parcels_to_ship", "parcels"]


def seller_with_orders() -> list[Parcel]:
    listing = semi_managed_listing(10)
    listing.product = ProductFactory(
        owner=listing.supplier,
        title_en="Stainless steel lunch box with three compartments, 1.2 litres",
        title_zh="不锈钢三格保温饭盒一点二升大容量",
    )
    listing.save(update_fields=["product"])
    MembershipFactory(supplier=listing.supplier, user__username="phone", role="owner")
    parcels = []
    for n in range(3):
        order = consumer_order_place(
            listing_id=listing.pk,
            quantity=1,
            external_id=f"SHOP-2026-{n:05d}",
            market="US",
            actor=storefront_user(),
        )
        assert isinstance(order, ConsumerOrder)
        parcels.append(Parcel.objects.get(order=order))
    return parcels


def sign_in(page: Any, live_server: Any, language: str) -> None:
    page.goto(live_server.url + reverse("portal:parcels_to_ship"))
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
def test_the_parcel_pages_never_scroll_sideways_on_a_phone(live_server, page, shot, language):
    parcels = seller_with_orders()
    sign_in(page, live_server, language)
    urls = [reverse(f"portal:{name}") for name in PAGES]
    urls.append(reverse("portal:parcel_detail", args=[parcels[0].pk]))
    for url in urls:
        page.goto(live_server.url + url)
        width = page.evaluate("window.innerWidth")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        shot(f"{url.strip('/').replace('/', '-')}-{language}")
        assert width == 390, (url, width)
        assert scroll <= width, f"{url} ({language}) is {scroll} px wide on a 390 px phone"


@pytest.mark.parametrize("browser_context_args", [PHONE])
def test_the_seller_ships_a_semi_managed_parcel_by_touch(live_server, page, shot):
    parcel = seller_with_orders()[1]
    sign_in(page, live_server, "zh-hans")
    form = page.locator(f"[data-testid=ship-form-{parcel.pk}]")
    form.locator("input[name=carrier]").tap()
    page.keyboard.type("UPS")
    form.locator("input[name=tracking_number]").tap()
    page.keyboard.type("1Z999AA10123456784")
    shot("filled")
    with page.expect_navigation():
        form.locator("button[type=submit]").tap()
    assert "已发货" in page.locator("main").inner_text()
    assert page.locator("[data-testid=tracking-number]").inner_text() == "1Z999AA10123456784"
    shot("shipped")
    parcel.refresh_from_db()
    assert parcel.status == Parcel.Status.PICKED_UP
    assert parcel.order.status == ConsumerOrder.Status.FULFILLED
    page.goto(live_server.url + reverse("portal:parcels_to_ship"))
    assert page.locator(f"[data-testid=ship-form-{parcel.pk}]").count() == 0
