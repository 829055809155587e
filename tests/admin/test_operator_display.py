"""What operators read in the admin: money written one way ("20,000.00 CNY"), every time in the
operator's own zone with the zone named (China time unless they chose another under "My
preferences"), in English and Chinese; storage stays UTC. And the favicon."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from accounts.roles import OPERATORS
from marketplace.formatting import money, when
from orders.models import JitOrder
from tests.factories.accounts import staff_user
from tests.factories.orders import jit_listing, jit_order
from tests.marketplace.test_settings import manage

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/jitorder/"
PREFERENCES = "/admin/preferences/"
# Ordered 5 Dec 2026 06:03 UTC: the 24 h deadline is 6 Dec 06:03 UTC, 14:03 in China.
ORDERED = datetime(2026, 12, 5, 6, 3, tzinfo=UTC)


# --- Money ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (Decimal("20000"), "CNY", "20,000.00 CNY"),
        (Decimal("1234567.5"), "CNY", "1,234,567.50 CNY"),
        (Decimal("-13787.50"), "CNY", "-13,787.50 CNY"),
        ("0", "CNY", "0.00 CNY"),
        (Decimal("19.99"), "USD", "19.99 USD"),
        (None, "CNY", "-"),
        ("not a number", "CNY", "-"),
    ],
)
def test_money_is_grouped_with_two_decimals_and_the_currency_after(amount, currency, shown):
    assert money(amount, currency) == shown


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_money_filter_writes_the_same_in_every_language(language):
    template = Template("{% load backoffice %}{{ a|money }} · {{ b|money:'EUR' }}")
    with translation.override(language):
        text = template.render(Context({"a": Decimal("20000"), "b": Decimal("7.5")}))
    assert text == "20,000.00 CNY · 7.50 EUR"


# --- Times: the operator's zone, named -----------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "language", "shown"),
    [
        ("Asia/Shanghai", "en", "6 Dec 2026, 14:03 CST"),
        ("Asia/Shanghai", "zh-hans", "2026年12月6日 14:03 CST"),
        ("Europe/Berlin", "en", "6 Dec 2026, 07:03 CET"),
        ("UTC", "en", "6 Dec 2026, 06:03 UTC"),
    ],
)
def test_a_time_names_its_zone_in_both_languages(zone, language, shown):
    with timezone.override(zone), translation.override(language):
        assert when(ORDERED + timedelta(days=1)) == shown


@pytest.fixture
def operator_with_order():
    operator = staff_user(OPERATORS, username="op")
    order = jit_order(jit_listing(), ordered_at=ORDERED)
    return operator, order


def test_the_admin_shows_times_in_china_time_by_default(client, operator_with_order):
    operator, order = operator_with_order
    client.force_login(operator)
    page = client.get(ORDERS).content.decode()
    assert "6 Dec 2026, 14:03 CST" in page  # the deadline column
    detail = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert "5 Dec 2026, 14:03 CST" in detail  # ordered, a stored field
    assert "6 Dec 2026, 14:03 CST" in detail
    # Shown in China time, stored in UTC.
    assert JitOrder.objects.get(pk=order.pk).ordered_at == ORDERED
    assert JitOrder.objects.get(pk=order.pk).ordered_at.utcoffset() == timedelta(0)


def test_the_default_zone_is_a_setting(client, operator_with_order, settings):
    settings.DEFAULT_OPERATOR_TIME_ZONE = "America/New_York"
    operator, _order = operator_with_order
    client.force_login(operator)
    assert "6 Dec 2026, 01:03 EST" in client.get(ORDERS).content.decode()


def test_the_admin_shows_times_in_chinese_formats(client, operator_with_order):
    operator, _order = operator_with_order
    client.force_login(operator)
    page = client.get(ORDERS, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2026年12月6日 14:03 CST" in page


def test_an_operator_chooses_their_zone_and_only_theirs_changes(client, operator_with_order):
    operator, _order = operator_with_order
    colleague = staff_user(OPERATORS, username="colleague")
    client.force_login(operator)
    page = client.get(PREFERENCES).content.decode()
    assert 'name="time_zone"' in page
    assert "Default: Asia/Shanghai (UTC+08:00)" in page

    response = client.post(PREFERENCES, {"time_zone": "Europe/Berlin"}, follow=True)
    assert response.redirect_chain[-1][0] == PREFERENCES
    operator.refresh_from_db()
    colleague.refresh_from_db()
    assert (operator.time_zone, colleague.time_zone) == ("Europe/Berlin", "")
    assert "6 Dec 2026, 07:03 CET" in client.get(ORDERS).content.decode()

    client.force_login(colleague)
    assert "6 Dec 2026, 14:03 CST" in client.get(ORDERS).content.decode()


def test_an_unknown_zone_is_refused(client, operator_with_order):
    operator, _order = operator_with_order
    client.force_login(operator)
    response = client.post(PREFERENCES, {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    operator.refresh_from_db()
    assert operator.time_zone == ""


def test_a_zone_that_no_longer_exists_falls_back_to_the_default(client, operator_with_order):
    operator, _order = operator_with_order
    operator.time_zone = "Gone/Away"
    operator.save(update_fields=["time_zone"])
    client.force_login(operator)
    assert "6 Dec 2026, 14:03 CST" in client.get(ORDERS).content.decode()


def test_preferences_are_for_signed_in_staff(client):
    response = client.get(PREFERENCES)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_every_admin_page_links_my_preferences(client, operator_with_order):
    operator, _order = operator_with_order
    client.force_login(operator)
    assert f'href="{PREFERENCES}"' in client.get("/admin/").content.decode()


def test_the_operator_zone_ends_with_the_request(client, operator_with_order):
    """The zone is the request's: whatever runs next in the same thread is back in UTC."""
    operator, _order = operator_with_order
    operator.time_zone = "Europe/Berlin"
    operator.save(update_fields=["time_zone"])
    client.force_login(operator)
    client.get(ORDERS)
    assert timezone.get_current_timezone_name() == "UTC"


def test_an_invalid_default_zone_refuses_to_start():
    result = manage("check", DEBUG="true", DEFAULT_OPERATOR_TIME_ZONE="China/Nowhere")
    assert result.returncode != 0
    assert "DEFAULT_OPERATOR_TIME_ZONE" in result.stderr


# --- The favicon ---------------------------------------------------------------------------------


def test_the_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO file
    for page in ["/admin/login/", "/portal/login/"]:
        html = client.get(page).content.decode()
        assert 'rel="icon"' in html, page
        assert "favicon.svg" in html, page


def test_a_currency_without_minor_units_is_written_whole():
    assert money(Decimal("1894.00"), "JPY") == "1,894 JPY"
    assert money(Decimal("1894.50"), "USD") == "1,894.50 USD"
