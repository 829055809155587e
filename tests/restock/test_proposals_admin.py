"""Restock proposals and forecasts in the admin: the list (status, urgent, supplier, listing,
quantity, expiry with days left) and its filters, the arithmetic in words on the proposal's page,
the issue and snooze actions through the services (refusals reported per row), and the forecasts'
read-only list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from logistics.models import StockingOrder
from marketplace.formatting import suppliers_today
from marketplace.models import JobRun
from restock.models import Forecast, RestockProposal
from tests.factories.accounts import UserFactory

from .support import proposal, proposal_operator

pytestmark = pytest.mark.django_db

S = RestockProposal.Status
LIST = reverse("admin:restock_restockproposal_changelist")
FORECASTS = reverse("admin:restock_forecast_changelist")


@pytest.fixture
def op_client(client):
    client.force_login(proposal_operator())
    return client


def _forecast(p: RestockProposal) -> Forecast:
    return Forecast.objects.create(
        listing=p.listing,
        pattern="smooth",
        method="SESOpt",
        horizon_days=18,
        daily=[1.5] * 18,
        mean_daily="1.500",
        mase="0.812",
        rate_7d="1.500",
        rate_28d="1.400",
    )


def test_the_list_and_its_filters(op_client):
    urgent = proposal(urgent=True)
    calm = proposal()
    page = op_client.get(LIST).content.decode()
    assert f"#{urgent.listing_id} " in page
    assert "days left" in page
    only_urgent = op_client.get(LIST, {"urgent__exact": "1"}).content.decode()
    assert f"#{urgent.listing_id} " in only_urgent
    assert f"#{calm.listing_id} " not in only_urgent
    assert op_client.get(LIST, {"status__exact": "open"}).status_code == 200


def test_the_lists_queries_do_not_grow(op_client):
    proposal()
    op_client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        op_client.get(LIST)
    for _ in range(5):
        proposal(urgent=True)
    with CaptureQueriesContext(connection) as more:
        op_client.get(LIST)
    assert len(more) == len(few)


def test_the_page_explains_the_arithmetic(op_client):
    run = JobRun.objects.create(name="restock_plan")
    p = proposal(run=run)
    _forecast(p)
    page = op_client.get(reverse("admin:restock_restockproposal_change", args=[p.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "Forecast: 2 units a day (Croston SBA, smooth demand) × 18 days" in text  # noqa: RUF001
    assert reverse("admin:marketplace_jobrun_change", args=[run.pk]) in text


def test_issue_action_with_and_without_a_quantity(op_client):
    a, b = proposal(quantity=24), proposal(quantity=36)
    response = op_client.post(
        LIST, {"action": "issue", "_selected_action": [a.pk], "quantity": ""}, follow=True
    )
    assert "1 stocking order issued." in response.content.decode()
    op_client.post(LIST, {"action": "issue", "_selected_action": [b.pk], "quantity": "12"})
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, a.stocking_order.quantity) == (S.ISSUED, 24)
    assert (b.status, b.stocking_order.quantity) == (S.ISSUED, 12)


def test_issue_action_refusal_is_reported(op_client):
    p = proposal(capped=True, quantity=48)
    response = op_client.post(
        LIST, {"action": "issue", "_selected_action": [p.pk], "quantity": ""}, follow=True
    )
    assert "at most" in response.content.decode()
    assert not StockingOrder.objects.exists()


def test_snooze_action(op_client):
    p = proposal()
    response = op_client.post(
        LIST, {"action": "snooze", "_selected_action": [p.pk], "days": ""}, follow=True
    )
    assert "Give the days to snooze for." in response.content.decode()
    op_client.post(LIST, {"action": "snooze", "_selected_action": [p.pk], "days": "4"})
    p.refresh_from_db()
    assert p.snoozed_until == suppliers_today() + timedelta(days=4)


def test_forecasts_are_read_only(op_client):
    p = proposal()
    forecast = _forecast(p)
    page = op_client.get(FORECASTS).content.decode()
    assert "exponential smoothing" in page
    assert "0.81" in page  # MASE to two decimals
    change = op_client.get(reverse("admin:restock_forecast_change", args=[forecast.pk]))
    assert change.status_code == 200
    assert b'name="_save"' not in change.content


def test_forecast_methods_are_named_in_words_in_the_list_and_its_filter(op_client):
    p = proposal()
    forecast = _forecast(p)
    forecast.method = "SeasESOpt"
    forecast.save()
    page = op_client.get(FORECASTS).content.decode()
    assert "weekly seasonal exponential smoothing" in page
    assert "SeasESOpt</" not in page  # neither a cell nor a filter choice shows the code
    filtered = op_client.get(FORECASTS, {"method": "SeasESOpt"}).content.decode()
    assert f"#{p.listing_id} " in filtered
    assert f"#{p.listing_id} " not in op_client.get(FORECASTS, {"method": "ADIDA"}).content.decode()


def test_the_proposal_page_names_its_fields_and_itself_in_chinese(op_client):
    p = proposal(method="SeasESOpt", run=JobRun.objects.create(name="restock_plan"))
    with translation.override("zh-hans"):
        assert str(p) == f"补货建议 #{p.pk}：商品刊登 #{p.listing_id} 共 {p.quantity} 件"  # noqa: RUF001
    op_client.cookies["django_language"] = "zh-hans"
    page = op_client.get(reverse("admin:restock_restockproposal_change", args=[p.pk]))
    text = page.content.decode()
    for english in ("Decided by", "Stocking order", "Listing:", "Supplier:", "SeasESOpt"):
        assert english not in text
    assert "restock_plan" not in text  # the planning run by its job's words
    assert "周季节性指数平滑" in text


def test_staff_without_the_permission_see_nothing(client):
    client.force_login(UserFactory(username="plain", is_staff=True))
    assert client.get(LIST).status_code == 403


def test_the_operators_role_issues_and_finance_only_reads(client, operator):
    from accounts.roles import FINANCE
    from tests.factories.accounts import staff_user

    p = proposal()
    client.force_login(operator)
    client.post(LIST, {"action": "snooze", "_selected_action": [p.pk], "days": "2"})
    p.refresh_from_db()
    assert p.snoozed_until == suppliers_today() + timedelta(days=2)
    client.force_login(staff_user(FINANCE, username="fin"))
    page = client.get(LIST).content.decode()
    assert f"#{p.listing_id} " in page
    assert 'value="issue"' not in page


def test_the_lists_name_the_product_in_the_readers_language(op_client):
    p = proposal()
    _forecast(p)
    product = p.listing.product
    for url in (LIST, FORECASTS):
        english = op_client.get(url).content.decode()
        chinese = op_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert product.title_en in english
        assert product.title_zh in chinese
        assert product.title_en not in chinese
