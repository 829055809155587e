"""The customs tables in the admin: listed by market with the rows in force today marked,
editable (a rule ends by its effective to, and a new one starts), never deleted."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.roles import OPERATORS
from customs.models import DeMinimisRule, DutyRate, ExchangeRate
from tests.factories.accounts import staff_user

pytestmark = pytest.mark.django_db

MODELS = ["deminimisrule", "dutyrate", "taxrate", "exchangerate", "freightrate"]


@pytest.fixture
def customs_operator(client):
    user = staff_user(OPERATORS, username="customs-op")
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="customs"),
        *Permission.objects.filter(codename="view_customsdecision"),
        Permission.objects.get(codename="view_listing"),
    )
    client.force_login(user)
    return user


@pytest.mark.parametrize("model", MODELS)
def test_each_table_lists_and_filters_by_in_force(client, customs_operator, model):
    assert client.get(f"/admin/customs/{model}/").status_code == 200
    if model != "exchangerate":  # a pair's row holds until the next: see the next test
        assert client.get(f"/admin/customs/{model}/?in_force=yes").status_code == 200


def test_the_de_minimis_list_marks_the_rows_in_force_today(client, customs_operator):
    page = client.get("/admin/customs/deminimisrule/?market__exact=US").content.decode()
    assert page.count('alt="True"') == 1  # the 2025-08-29 suspension, open
    assert "800.00 USD" in page
    in_force = client.get("/admin/customs/deminimisrule/?market__exact=CA&in_force=yes")
    assert len(in_force.context["cl"].result_list) == 3


def test_the_current_exchange_rate_of_a_pair_is_marked(client, customs_operator):
    page = client.get("/admin/customs/exchangerate/?currency=JPY")
    rows = page.context["cl"].result_list
    current = [row for row in rows if row.pk == row.current_id]
    assert {(row.base, row.quote) for row in current} == {
        ("USD", "JPY"),
        ("JPY", "USD"),
        ("CNY", "JPY"),
        ("JPY", "CNY"),
    }
    assert {row.effective_from for row in current} == {date(2026, 1, 1)}


def test_an_operator_ends_a_rule_and_starts_the_next(client, customs_operator):
    rule = DeMinimisRule.objects.get(market="UK")
    response = client.post(
        f"/admin/customs/deminimisrule/{rule.pk}/change/",
        {
            "market": "UK",
            "channel": "",
            "origins": "",
            "excluded_origins": "",
            "outcome": "relief",
            "currency": "GBP",
            "duty_threshold": "135.00",
            "tax_threshold": "",
            "flat_duty": "",
            "tax_at_sale": "on",
            "effective_from": "2021-01-01",
            "effective_to": "2028-12-31",
            "source": rule.source,
            "note": rule.note,
        },
    )
    assert response.status_code == 302, response.content
    rule.refresh_from_db()
    assert rule.effective_to == date(2028, 12, 31)


def test_an_operator_adds_a_duty_rate(client, customs_operator):
    response = client.post(
        "/admin/customs/dutyrate/add/",
        {
            "market": "US",
            "hs_prefix": "",
            "origins": "",
            "rate_percent": "15",
            "additional": "on",
            "effective_from": "2026-07-24",
            "effective_to": "",
            "source": "Section 122 raised to 15%",
        },
    )
    assert response.status_code == 302, response.content
    assert DutyRate.objects.filter(additional=True, rate_percent=Decimal("15")).exists()


def test_a_rule_ending_before_it_starts_is_refused(client, customs_operator):
    before = DeMinimisRule.objects.count()
    response = client.post(
        "/admin/customs/deminimisrule/add/",
        {
            "market": "JP",
            "channel": "",
            "outcome": "relief",
            "currency": "JPY",
            "duty_threshold": "5000",
            "effective_from": "2028-01-01",
            "effective_to": "2027-01-01",
        },
    )
    assert response.status_code == 200
    assert DeMinimisRule.objects.count() == before


@pytest.mark.parametrize("model", MODELS)
def test_rows_are_never_deleted(client, customs_operator, model):
    from django.apps import apps

    row = apps.get_model("customs", model).objects.first()
    assert client.get(f"/admin/customs/{model}/{row.pk}/delete/").status_code == 403
    assert ExchangeRate.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("origins", "USA", "Not ISO 3166 alpha-2 country codes: USA."),
        ("excluded_origins", "CN,*", "Not ISO 3166 alpha-2 country codes: *."),
        ("currency", "eu1", "An ISO 4217 currency code of three letters, e.g. EUR."),
        ("flat_duty", "", "A flat duty rule needs its duty per subheading."),
    ],
)
def test_a_rule_with_bad_codes_is_refused_on_its_field(
    client, customs_operator, field, value, message
):
    form = {
        "market": "EU",
        "channel": "",
        "origins": "",
        "excluded_origins": "",
        "outcome": "flat_per_subheading",
        "currency": "EUR",
        "duty_threshold": "150",
        "flat_duty": "2",
        "effective_from": "2028-07-02",
        field: value,
    }
    before = DeMinimisRule.objects.count()
    response = client.post("/admin/customs/deminimisrule/add/", form)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert DeMinimisRule.objects.count() == before


def test_codes_are_kept_in_capitals(client, customs_operator):
    response = client.post(
        "/admin/customs/dutyrate/add/",
        {
            "market": "CA",
            "hs_prefix": "9503",
            "origins": "cn, vn",
            "rate_percent": "2",
            "effective_from": "2027-01-01",
        },
    )
    assert response.status_code == 302, response.content
    assert DutyRate.objects.get(market="CA", hs_prefix="9503").origins == "CN,VN"
    refused = client.post(
        "/admin/customs/dutyrate/add/",
        {"market": "CA", "hs_prefix": "95a", "rate_percent": "2", "effective_from": "2027-01-01"},
    )
    assert refused.context["adminform"].form.errors["hs_prefix"] == [
        "Blank, or 2, 4 or 6 digits of an HS code."
    ]


def test_the_list_says_what_each_rule_applies_to(client, customs_operator):
    page = client.get("/admin/customs/deminimisrule/?market__exact=CA").content.decode()
    assert "Courier · from United States, Mexico" in page
    assert "US,MX" not in page
    assert "Postal" in page
    assert "150.00 CAD" in page
    us = client.get("/admin/customs/deminimisrule/?market__exact=US").content.decode()
    assert "Any channel · excluding China, Hong Kong" in us
    assert "Any channel · excluding all origins" in us
    assert "excluding *" not in us


def test_the_duty_rate_list_writes_rates_and_days_short(client, customs_operator):
    page = client.get("/admin/customs/dutyrate/?market__exact=US").content.decode()
    assert "United States · 61: 16 %" in page
    assert "2000-01-01" in page
    assert "16.000 %" not in page
