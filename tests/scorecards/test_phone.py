"""The Scorecard page on a phone (390 x 844, touch): its components turn into cards and its
trend chart fits, so it never scrolls sideways, in English and in Chinese; nothing is loaded
from another host (the browser fixtures' route guard fails the test otherwise)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.factories.accounts import PASSWORD
from tests.factories.suppliers import MembershipFactory, SupplierFactory

from .test_doors import history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "has_touch": True,
    "is_mobile": True,
    "device_scale_factor": 2,
}


def sign_in(page: Any, live_server: Any, language: str) -> None:
    page.goto(live_server.url + reverse("portal:scorecard"))
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
def test_the_scorecard_never_scrolls_sideways_on_a_phone(live_server, page, shot, language):
    supplier = SupplierFactory(name_zh="汕头市澄海区彩虹磁力片益智玩具制造有限公司")
    history(supplier, days=40)
    MembershipFactory(supplier=supplier, user__username="phone", role="owner")
    sign_in(page, live_server, language)
    page.goto(live_server.url + reverse("portal:scorecard"))
    assert page.locator("[data-testid=trend] polyline").count() >= 2
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    shot(f"scorecard-{language}")
    assert width == 390
    assert scroll <= width, f"the scorecard ({language}) is {scroll} px wide on a 390 px phone"
