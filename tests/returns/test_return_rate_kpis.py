"""The compliance KPIs page's return rate, from the daily ListingReturnRate rows: the month's
figure on its last rated day, the listings over the limit, open breaches, filters and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import ListingReturnRate
from returns.services.return_rate import return_rates_compute

from .rates import rated_listing, sold_and_returned

pytestmark = pytest.mark.django_db

URL = reverse("admin:compliance_kpis")


@pytest.fixture
def data():
    bad, fine = rated_listing(), rated_listing()
    sold_and_returned(bad, 30, 6)  # 20%
    sold_and_returned(fine, 70, 2)
    return_rates_compute()
    # An earlier month's last day: 10 of 100.
    ListingReturnRate.objects.create(
        listing=fine,
        day=timezone.localdate().replace(day=1) - timedelta(days=1),
        units_sold=100,
        units_returned=10,
        rate=Decimal("0.1"),
    )
    return {"bad": bad, "fine": fine}


def test_the_return_rate_figures(client, operator, data):
    client.force_login(operator)
    response = client.get(URL)
    kpis = response.context["kpis"]
    assert kpis["returns"]["rate"] == Decimal("8.0")  # 8 of 100
    assert (kpis["returns"]["sold"], kpis["returns"]["returned"]) == (100, 8)
    assert kpis["returns"]["over"] == 1
    assert (kpis["returns"]["warnings"], kpis["returns"]["pauses"]) == (1, 1)
    bars = [bar for bar in kpis["return_chart"].bars if bar.value is not None]
    assert [bar.value for bar in bars] == [Decimal("10.0"), Decimal("8.0")]
    assert [bar.tone for bar in bars] == ["warn", "ok"]
    assert 'data-testid="kpi-return-rate"' in response.content.decode()


def test_the_supplier_filter_narrows_it(client, operator, data):
    client.force_login(operator)
    kpis = client.get(URL, {"supplier": data["bad"].supplier_id}).context["kpis"]
    assert kpis["returns"]["rate"] == Decimal("20.0")
    assert kpis["returns"]["over"] == 1


def test_the_csv_of_the_latest_rates(client, operator, data):
    client.force_login(operator)
    response = client.get(URL, {"export": "return_rates"})
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    header, *lines = list(csv.reader(io.StringIO(text)))
    assert header[-1] == "return rate"
    assert [line[1] for line in lines] == [str(data["bad"].pk), str(data["fine"].pk)]


def test_in_chinese(client, operator, data):
    client.force_login(operator)
    client.cookies["django_language"] = "zh-hans"
    assert "退货率" in client.get(URL).content.decode()
