"""What operators see in the admin at 1366 px, in English and Chinese: the JIT order and supplier
lists fit beside the navigation and the filters without sideways scrolling, the dashboard uses
the whole width, a penalty's evidence is a table with times in China time, the received quantity
is entered on a shipped JIT order's page, and every page has the favicon. Screenshots of each go
to test-artifacts/screenshots/. See conftest.py for the route guard every test runs under."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from accounts.roles import OPERATORS
from orders.models import JitOrder, Penalty
from orders.services.orders import order_receive, order_ship
from orders.services.sweep import sweep_jit_deadlines
from tests.factories.accounts import PASSWORD, staff_user
from tests.factories.logistics import shipment_for, stocked_listing
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import FactoryFactory, MembershipFactory, SupplierFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

H = timedelta(hours=1)
LANGUAGES = ["en", "zh-hans"]
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return DESKTOP


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def sign_in(page: Any, live_server: Any, language: str) -> None:
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    assert path_of(page) == "/admin/", page.url
    assert page.locator("html").get_attribute("lang") == language


def overflow(page: Any) -> dict[str, int]:
    """The change list's table against the box it sits in, and the page against the window."""
    return page.evaluate(
        """() => ({
            table: document.querySelector('#result_list').scrollWidth,
            box: document.querySelector('#changelist .results').clientWidth,
            page: document.documentElement.scrollWidth,
            window: window.innerWidth,
        })"""
    )


def assert_fits(page: Any, what: str) -> None:
    size = overflow(page)
    assert size["table"] <= size["box"], f"{what}: the table is wider than its box: {size}"
    assert size["page"] <= size["window"], f"{what}: the page scrolls sideways: {size}"


@pytest.fixture
def operator_data():
    """Orders in every state a busy day has, from suppliers with long names in both languages,
    the sweep's penalties on the late ones."""
    staff_user(OPERATORS, username="op")
    now = timezone.now()
    listing = jit_listing(price="2500.00")
    supplier = listing.supplier
    supplier.name_en = "Shenzhen Bright Toys Manufacturing Co., Ltd."
    supplier.name_zh = "深圳明亮玩具制造有限公司"
    supplier.save(update_fields=["name_en", "name_zh"])
    FactoryFactory(supplier=supplier, province="Guangdong")
    member = MembershipFactory(supplier=supplier, role="owner").user
    operator = staff_user(OPERATORS, username="op2")
    for n, hours in enumerate([1, 19, 23.5, 30, 50, 70]):
        jit_order(listing, external_id=f"SO-{n}", quantity=8 + n, ordered_at=now - hours * H)
    shipped = jit_order(listing, external_id="SO-S", quantity=400, ordered_at=now - 20 * H)
    order_ship(shipped, waybill="SF1234567890123", actor=member)
    late = jit_order(listing, external_id="SO-L", quantity=3, ordered_at=now - 40 * H)
    order_ship(late, waybill="SF1234567890124", actor=member)
    order_receive(late, quantity=2, actor=operator)
    sweep_jit_deadlines()
    for n in range(4):
        other = SupplierFactory(
            name_en=f"Yiwu Youjia Home Goods and Household Products Factory {n}",
            name_zh=f"义乌优家家居日用品有限公司{n}",
            status=["active", "applied", "suspended", "onboarding"][n],
            changes_requested=n == 1,
        )
        FactoryFactory(supplier=other, province="Zhejiang")
    return {"shipped": shipped, "penalty": Penalty.objects.order_by("-amount").first()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_jit_order_and_supplier_lists_fit_1366_px(
    live_server, page, shot, operator_data, language
):
    sign_in(page, live_server, language)

    page.goto(live_server.url + "/admin/orders/jitorder/")
    assert page.locator("#result_list tbody tr").count() == JitOrder.objects.count()
    header = page.locator("#result_list thead").inner_text()
    assert ("Deadline" in header.title()) if language == "en" else CHINESE.search(header)
    cells = page.locator("#result_list tbody").inner_text()
    assert "CNY" in cells
    assert " CST" in cells  # the deadlines, in China time with the zone named
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", cells), "an ISO timestamp in the list"
    assert_fits(page, "JIT orders")
    shot("jit-orders")

    page.goto(live_server.url + "/admin/suppliers/supplier/")
    assert page.locator("#result_list tbody tr").count() == 5
    assert re.search(r"\d,\d{3}\.\d\d CNY", page.locator("#result_list tbody").inner_text())
    assert_fits(page, "suppliers")
    shot("suppliers")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_dashboard_uses_the_whole_width(live_server, page, shot, operator_data, language):
    sign_in(page, live_server, language)
    widths = page.evaluate(
        """() => ({
            dashboard: document.querySelector('[data-testid=operator-dashboard]')
                .getBoundingClientRect().width,
            apps: document.querySelector('#content-main').getBoundingClientRect().width,
            window: window.innerWidth,
            page: document.documentElement.scrollWidth,
        })"""
    )
    # The page's side margins (40 px each) are all that is left out.
    assert widths["dashboard"] >= widths["window"] - 100, widths
    assert widths["apps"] >= widths["window"] - 100, widths
    assert widths["page"] <= widths["window"], widths
    due = page.locator("[data-testid=due-soon]").inner_text()
    assert " CST" in due
    shot("dashboard")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_penalty_shows_its_evidence_as_a_table(live_server, page, shot, operator_data, language):
    penalty = operator_data["penalty"]
    sign_in(page, live_server, language)
    page.goto(live_server.url + f"/admin/orders/penalty/{penalty.pk}/change/")
    table = page.locator("[data-testid=evidence]")
    assert table.is_visible()
    assert table.locator("tr").count() >= 10
    text = table.inner_text()
    assert "{" not in text
    assert '"' not in text
    assert " CST" in text
    assert re.search(r"\d\.\d\d CNY", text)
    if language == "zh-hans":
        labels = table.locator("th").all_inner_texts()
        assert all(CHINESE.search(label) for label in labels), labels
    shot("penalty")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_received_quantity_is_entered(live_server, page, shot, operator_data, language):
    order = operator_data["shipped"]
    sign_in(page, live_server, language)
    page.goto(live_server.url + f"/admin/orders/jitorder/{order.pk}/change/")
    form = page.locator("[data-testid=receive-form]")
    assert page.input_value("#id_received_quantity") == "400"
    page.fill("#id_received_quantity", "397")
    shot("jit-receive")
    with page.expect_navigation():
        form.locator("input[type=submit]").click()
    assert page.locator(".messagelist .success").count() == 1
    order.refresh_from_db()
    assert (order.status, order.received_quantity) == ("received", 397)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_inbound_receiving_page(live_server, page, shot, language):
    staff_user(OPERATORS, username="op")
    listing = stocked_listing(new=False)
    shipment = shipment_for(listing, 50, status="arrived")
    line = shipment.lines.get()
    sign_in(page, live_server, language)
    page.goto(live_server.url + f"/admin/logistics/inboundshipment/{shipment.pk}/change/")
    shot("inbound-shipment")
    with page.expect_navigation():
        page.locator(f"a[href$='/inboundline/{line.pk}/count/']").click()
    page.fill("#id_received", "48")
    page.fill("#id_damaged", "1")
    shot("inbound-count")
    with page.expect_navigation():
        page.locator("[data-testid=form-page] input[type=submit]").click()
    line.refresh_from_db()
    assert (line.received, line.damaged) == (48, 1)
    assert page.locator(".messagelist .success").count() == 1


def test_every_page_has_the_favicon(live_server, page):
    staff_user(OPERATORS, username="op")
    for path in ["/admin/login/", "/portal/login/"]:
        page.goto(live_server.url + path)
        icons = page.locator("link[rel=icon]")
        assert icons.count() == 2, path
        for href in [icons.nth(n).get_attribute("href") for n in range(2)]:
            assert page.request.get(live_server.url + href).ok, href
    response = page.request.get(live_server.url + "/favicon.ico")
    assert response.ok
    assert response.headers["content-type"] == "image/x-icon"
