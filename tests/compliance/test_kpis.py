"""Compliance KPIs for operators: figures from a small known dataset, the filters (category
with its subcategories, supplier, market), the CSV of the rows behind each figure, permissions
and a query count that does not grow with the rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Listing
from compliance.models import (
    Audit,
    CorrectiveAction,
    Finding,
    ListingMarketStatus,
    MarketHold,
    TestRecord,
)
from compliance.selectors.fraud import fraud_signal_count
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import CategoryFactory, ListingFactory, ProductFactory
from tests.factories.compliance import LabAccreditationFactory, StandardFactory
from tests.factories.compliance import TestRecordFactory as RecordFactory
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 15)
URL = reverse("admin:compliance_kpis")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 15, 4, tzinfo=timezone.get_current_timezone())):
        yield


def record(listing, standard, *, result="pass", issued=TODAY - timedelta(days=3), **fields):
    return RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=standard,
        result=result,
        issued_on=issued,
        valid_until=fields.pop("valid_until", issued + timedelta(days=365)),
        **fields,
    )


@pytest.fixture
def data():
    """Supplier A sells a live toy (a subcategory of toys) in the EU: 3 passes and 1 failure
    this month; a pass expiring in 10 days. Supplier B's electronics, not live, tested in the US
    last month: 1 pass, 1 failure. Blocked: A in the EU, a third live listing in the UK, B (not
    live) in the US. A hold on A in the EU. A's open action from an audit 45 days ago, overdue;
    a closed one."""
    toys = CategoryFactory(code="toys-kpi", name_en="Toys")
    blocks = CategoryFactory(code="toys-kpi-blocks", name_en="Blocks", parent=toys)
    electronics = CategoryFactory(code="electronics-kpi", name_en="Electronics")
    a = SupplierFactory(name_en="Alpha Toys")
    b = SupplierFactory(name_en="Beta Electronics")
    en71 = StandardFactory(code="EN 71-3", market="EU")
    fcc = StandardFactory(code="FCC 15", market="US")
    alpha = ListingFactory(
        supplier=a,
        product=ProductFactory(category=blocks, title_en="=HYPERLINK(1)"),
        status=Listing.Status.LIVE,
    )
    beta = ListingFactory(
        supplier=b, product=ProductFactory(category=electronics), status=Listing.Status.PAUSED
    )
    third = ListingFactory(product=ProductFactory(category=electronics), status="live")
    for _ in range(3):
        record(alpha, en71)
    record(alpha, en71, result="fail")
    record(alpha, en71, issued=TODAY - timedelta(days=400), valid_until=TODAY + timedelta(days=10))
    last_month = TODAY - timedelta(days=30)
    record(beta, fcc, issued=last_month)
    record(beta, fcc, result="fail", issued=last_month)
    # Not counted: unverified, and older than the window.
    record(alpha, en71, status=TestRecord.Status.UNVERIFIED, verified_at=None)
    record(alpha, en71, result="fail", issued=TODAY - timedelta(days=500))
    ListingMarketStatus.objects.create(listing=alpha, market="EU", may_sell=False, reasons=[])
    ListingMarketStatus.objects.create(listing=alpha, market="US", may_sell=True, reasons=[])
    ListingMarketStatus.objects.create(listing=third, market="UK", may_sell=False, reasons=[])
    ListingMarketStatus.objects.create(listing=beta, market="US", may_sell=False, reasons=[])
    MarketHold.objects.create(listing=alpha, market="EU", reason="officer")
    MarketHold.objects.create(
        listing=alpha,
        market="UK",
        reason="officer",
        started_at=timezone.now() - timedelta(days=9),
        lifted_at=timezone.now() - timedelta(days=1),
    )
    officer = UserFactory(is_staff=True)
    audit = Audit.objects.create(
        supplier=a, auditor="Auditor", audited_on=TODAY - timedelta(days=45), score=70,
        recorded_by=officer,
    )  # fmt: skip
    for status in ("open", "closed"):
        finding = Finding.objects.create(
            audit=audit, severity="critical", category=toys, area="chemicals", description="x"
        )
        CorrectiveAction.objects.create(
            finding=finding,
            supplier=a,
            due_on=TODAY - timedelta(days=5),
            status=status,
            closed_at=timezone.now() if status == "closed" else None,
        )
    return {"toys": toys, "electronics": electronics, "a": a, "b": b, "alpha": alpha}


def figures(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["kpis"]


def test_the_figures_of_a_known_dataset(client, operator, data):
    client.force_login(operator)
    kpis = figures(client)
    assert kpis["pass"] == {"rate": Decimal("66.7"), "passed": 4, "tests": 6}
    assert kpis["incidents"] == 1  # beta's failure is not on a live listing
    assert kpis["blocked"] == 2  # beta is not live
    assert kpis["holds"] == 1
    assert kpis["actions"] == 1
    assert kpis["overdue"] == 1
    assert [bar.value for bar in kpis["action_bars"]] == [0, 1, 0, 0]
    assert kpis["expiring"] == 1
    # Every signal the evidence selector raises (its own tests pin each signal).
    assert kpis["fraud_open"] == fraud_signal_count()
    blocked = {bar.label: bar.value for bar in kpis["blocked_bars"]}
    assert blocked["European Union (EU)"] == 1
    assert blocked["United Kingdom (UK)"] == 1
    months = {bar.month: bar for bar in kpis["pass_chart"].bars}
    assert len(months) == 12
    assert months[date(2026, 12, 1)].value == 75
    assert months[date(2026, 11, 1)].value == 50
    assert months[date(2026, 10, 1)].value is None
    incidents = {bar.month: bar.value for bar in kpis["incident_chart"].bars}
    assert incidents[date(2026, 12, 1)] == 1
    html = client.get(URL).content.decode()
    assert 'data-testid="pass-rate-chart"' in html
    assert "<script" not in html.split('data-testid="compliance-kpis"')[1]


def test_the_filters(client, operator, data):
    client.force_login(operator)
    by_supplier = figures(client, supplier=data["a"].pk)
    assert by_supplier["pass"]["tests"] == 4
    assert by_supplier["pass"]["rate"] == 75
    assert by_supplier["blocked"] == 1
    assert by_supplier["actions"] == 1
    by_market = figures(client, market="US")
    assert by_market["pass"]["tests"] == 2
    assert by_market["incidents"] == 0
    assert by_market["blocked"] == 0
    assert by_market["holds"] == 0
    assert by_market["expiring"] == 0
    # The toys category takes in its subcategory (alpha's product is in toys / blocks).
    by_category = figures(client, category=data["toys"].pk)
    assert by_category["pass"]["tests"] == 4
    assert by_category["incidents"] == 1
    assert by_category["blocked"] == 1
    assert by_category["actions"] == 1
    assert figures(client, category=data["electronics"].pk)["actions"] == 0
    assert figures(client, months=1)["pass"]["tests"] == 4
    assert figures(client, months=24)["pass"]["tests"] == 8


def rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_the_csv_of_each_figure(client, operator, data):
    client.force_login(operator)
    tests = client.get(URL, {"export": "tests", "supplier": data["a"].pk})
    assert tests["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in tests["Content-Disposition"]
    _header, *lines = rows(tests)
    assert len(lines) == 4
    assert {line[5] for line in lines} == {"pass", "fail"}
    assert {line[10] for line in lines} == {"'=HYPERLINK(1)"}  # no formula
    counts = {
        name: len(rows(client.get(URL, {"export": name}))) - 1
        for name in ["tests", "incidents", "expiring", "blocked", "holds", "actions"]
    }
    assert counts == {
        "tests": 6,
        "incidents": 1,
        "expiring": 1,
        "blocked": 2,
        "holds": 1,
        "actions": 1,
    }
    assert client.get(URL, {"export": "nothing"}).status_code == 404


def test_only_who_may_read_test_records_sees_the_kpis(client, data):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"export": "tests"}).status_code == 403
    client.logout()
    assert client.get(URL).status_code == 302  # to the login page


def test_the_dashboard_card_and_its_link(client, operator, data):
    client.force_login(operator)
    response = client.get(reverse("admin:index"))
    assert response.context["compliance"] == {
        "pass_rate": Decimal("66.7"),
        "incidents": 1,
        "blocked": 2,
        "actions": 1,
        "overdue": 1,
        "expiring": 1,
    }
    assert URL in response.content.decode()
    client.force_login(UserFactory(is_staff=True))
    response = client.get(reverse("admin:index"))
    assert "compliance" not in response.context
    assert 'data-testid="compliance-kpis-card"' not in response.content.decode()


def test_the_kpis_in_chinese(client, operator, data):
    client.force_login(operator)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(URL).content.decode()
    assert "检测合格率" in html
    assert "最近 12 个月" in html
    assert "监管暂停" in html
    header = rows(client.get(URL, {"export": "actions"}))[0]
    assert header[0] == "纠正措施"


def test_the_query_count_does_not_grow_with_the_rows(
    client, operator, data, django_assert_max_num_queries
):
    client.force_login(operator)
    with django_assert_max_num_queries(60) as few:
        client.get(URL, {"supplier": data["a"].pk})
    for _ in range(3):
        listing = ListingFactory(
            supplier=data["a"], product=ProductFactory(category=data["toys"]), status="live"
        )
        for market in ("EU", "UK"):
            ListingMarketStatus.objects.create(
                listing=listing, market=market, may_sell=False, reasons=[]
            )
        record(listing, StandardFactory(code="EN 71-3"), result="fail")
    with django_assert_max_num_queries(len(few.captured_queries)):
        kpis = client.get(URL, {"supplier": data["a"].pk}).context["kpis"]
    assert kpis["blocked"] == 7


def test_fraud_signals_are_counted_by_supplier(client, operator, data):
    """A report number used by two suppliers raises one signal on each record; the supplier
    filter keeps each supplier's own."""
    client.force_login(operator)
    before = figures(client)["fraud_open"]
    before_a = figures(client, supplier=data["a"].pk)["fraud_open"]
    standard = StandardFactory(code="EN 71-3", market="EU")
    beta = Listing.objects.get(supplier=data["b"])
    for listing in (data["alpha"], beta):
        accreditation = LabAccreditationFactory(standard=standard, valid_from=date(2020, 1, 1))
        record(listing, standard, issued=TODAY, report_number="DUP-1", lab=accreditation.lab)
    assert figures(client)["fraud_open"] == before + 2
    assert figures(client, supplier=data["a"].pk)["fraud_open"] == before_a + 1
