"""The supplier's catalogue in a real browser: create a product with a picture, list it, propose
a price and see the round. See conftest.py for the route guard every test runs under."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from PIL import Image

from catalogue.models import Listing, Product
from tests.factories.accounts import PASSWORD
from tests.factories.catalogue import CategoryFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), "orange").save(out, "PNG")
    return out.getvalue()


def test_create_a_product_list_it_propose_a_price_and_see_the_round(
    live_server, page, shot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    CategoryFactory(code="toys", name_en="Toys", name_zh="玩具")
    membership = MembershipFactory(user__username="bright")

    page.goto(live_server.url + reverse("portal:products"))
    page.fill("#id_username", "bright")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == reverse("portal:products"), page.url
    assert "No products yet" in page.locator("[data-testid=products]").inner_text()
    nav = page.locator(f"header nav a[href='{reverse('portal:products')}']")
    assert nav.get_attribute("aria-current") == "page"

    with page.expect_navigation():
        page.click("[data-testid=new-product]")
    page.fill("#id_title_en", "Wooden train set")
    page.fill("#id_title_zh", "木制火车套装")
    page.select_option("#id_category", "toys")
    page.fill("#id_hs_code", "9503.00")
    page.fill("#id_weight_g", "800")
    page.fill("#id_length_cm", "40")
    page.fill("#id_width_cm", "25.5")
    page.fill("#id_height_cm", "10")
    page.fill("#id_declared_value_usd", "12.00")
    page.fill("#id_attributes", "material=beech\nage=3+")
    shot("product-form")
    with page.expect_navigation():
        page.get_by_role("button", name="Create the product").click()
    product = Product.objects.get()
    assert path_of(page) == reverse("portal:product_edit", args=[product.pk]), page.url
    assert product.owner_id == membership.supplier_id
    assert product.hs_code == "950300"

    page.set_input_files(
        "#id_image", files=[{"name": "train.png", "mimeType": "image/png", "buffer": png()}]
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Upload the picture").click()
    thumbnail = page.locator("[data-testid=images] img").first
    thumbnail.wait_for()
    # Visible is not loaded: wait until the browser has decoded the thumbnail.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
    )
    size = thumbnail.evaluate("img => img.complete && [img.naturalWidth, img.naturalHeight]")
    assert size == [320, 213], size
    shot("product-with-picture")

    with page.expect_navigation():
        page.click("[data-testid=list-product]")
    assert path_of(page) == reverse("portal:listing_new"), page.url
    assert page.locator("#id_product").input_value() == str(product.pk)
    page.get_by_label("Fully managed").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Create the listing").click()
    listing = Listing.objects.get()
    assert path_of(page) == reverse("portal:listing_detail", args=[listing.pk]), page.url
    assert page.locator("[data-testid=listing-status]").inner_text().strip() == "Draft"
    assert "Propose a supply price" in page.locator("[data-testid=next-step]").inner_text()

    page.fill("#id_price", "18.50")
    page.fill("#id_note", "MOQ 500 units")
    with page.expect_navigation():
        page.get_by_role("button", name="Propose the price").click()
    rounds = page.locator("[data-testid=price-rounds] tbody tr")
    assert rounds.count() == 1
    row = rounds.first.inner_text()
    assert "18.50" in row
    assert "MOQ 500 units" in row
    assert "Proposed" in row
    assert page.locator("[data-testid=listing-status]").inner_text().strip() == "Submitted"
    assert page.locator("[data-testid=price-form]").count() == 0
    shot("round")

    # The same page on a phone: nothing scrolls sideways but the tables inside their cards.
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, width
    shot("round-phone")

    with page.expect_navigation():
        page.click(f"header nav a[href='{reverse('portal:listings')}']")
    assert "Wooden train set" in page.locator("[data-testid=listings]").inner_text()
    assert "Submitted" in page.locator("[data-testid=listings]").inner_text()
