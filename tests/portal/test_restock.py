"""The portal's restock pages: open proposals first (urgent marked, snoozed shown as such), the
history tab, a proposal's arithmetic in words and its chart, the confirm, decline and snooze forms
with their refusals beside the field, in English and Chinese; another supplier's proposals are
absent from the lists and 404 on every page and form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logistics.models import StockingOrder
from marketplace.formatting import suppliers_today
from restock.models import Forecast, RestockProposal
from restock.services.proposals import proposal_issue
from tests.factories.logistics import operator as superuser
from tests.factories.restock import DemandSignalFactory
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, rival_member
from tests.restock.support import member, proposal

pytestmark = pytest.mark.django_db

S = RestockProposal.Status
LIST = reverse("portal:restock_proposals")


def detail(p: RestockProposal) -> str:
    return reverse("portal:restock_proposal_detail", args=[p.pk])


@pytest.fixture
def mine() -> RestockProposal:
    return proposal(
        quantity=30,
        mean_daily="2.400",
        demand_over_lead="43.200",
        safety_stock="12.000",
        available=10,
        need="45.200",
        case_pack=12,
        cap=30,
    )


@pytest.fixture
def signed_in(client, mine):
    client.force_login(member(mine))
    return client


def _forecast(p: RestockProposal) -> Forecast:
    return Forecast.objects.create(
        listing=p.listing,
        pattern="intermittent",
        method="CrostonSBA",
        horizon_days=18,
        daily=[2.4] * 18,
        mean_daily="2.400",
        rate_7d="2.000",
        rate_28d="2.000",
    )


def test_the_list_shows_open_ones_first_urgent_and_snoozed_marked(signed_in, mine):
    urgent = proposal(supplier=mine.supplier, urgent=True)
    snoozed = proposal(supplier=mine.supplier, snoozed_until=suppliers_today() + timedelta(days=2))
    done = proposal(supplier=mine.supplier, status=S.DECLINED, decline_reason="no")
    page = signed_in.get(LIST).content.decode()
    assert page.index(f'data-proposal="{urgent.pk}"') < page.index(f'data-proposal="{mine.pk}"')
    assert page.index(f'data-proposal="{mine.pk}"') < page.index(f'data-proposal="{snoozed.pk}"')
    assert f'data-proposal="{done.pk}"' not in page
    assert 'data-testid="urgent"' in page
    assert "Snoozed until" in page
    history = signed_in.get(LIST + "?tab=history").content.decode()
    assert f'data-proposal="{done.pk}"' in history
    assert f'data-proposal="{mine.pk}"' not in history
    assert "Declined" in history


def test_the_list_in_chinese(signed_in, mine):
    page = signed_in.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "补货" in page
    assert "Open proposals" not in page


def test_the_detail_explains_the_arithmetic(signed_in, mine):
    _forecast(mine)
    DemandSignalFactory(listing=mine.listing, units_ordered=4)
    page = signed_in.get(detail(mine)).content.decode()
    assert (
        "Forecast: 2.4 units a day (Croston SBA, intermittent demand) × 18 days (3 to confirm + "  # noqa: RUF001
        "10 production + 3 transit + 2 receiving) = 43.2;<br>+ safety stock 12 (95% service "
        "level, from the backtest&#x27;s errors over the lead time);<br>- available 10 - inbound "
        "0 - open stocking orders 0 = need 45.2;<br>rounded up to cases of 12 = 48;<br>stocking "
        "cap 30 → 30"
    ) in page
    assert 'data-testid="chart-demand"' in page
    assert 'data-testid="chart-forecast"' in page
    assert "<script" not in page.split("<main")[1]
    assert 'data-testid="confirm-form"' in page


def test_the_detail_in_chinese(signed_in, mine):
    _forecast(mine)
    page = signed_in.get(detail(mine), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "预测" in page
    assert "Forecast:" not in page
    assert "Confirm" not in page


def test_confirm_through_the_form(signed_in, mine):
    ship_by = suppliers_today() + timedelta(days=4)
    response = signed_in.post(
        detail(mine), {"action": "confirm", "quantity": 24, "ship_by": ship_by.isoformat()}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.status == S.CONFIRMED
    assert mine.ship_by == ship_by
    assert StockingOrder.objects.get().quantity == 24
    page = signed_in.get(detail(mine)).content.decode()
    assert 'data-testid="proposal-stocking-order"' in page
    assert 'data-testid="confirm-form"' not in page


def test_confirm_over_the_cap_is_refused_beside_the_field(client):
    p = proposal(capped=True)
    client.force_login(member(p))
    response = client.post(
        detail(p),
        {"action": "confirm", "quantity": 31, "ship_by": suppliers_today().isoformat()},
    )
    assert response.status_code == 200
    assert 'data-field="quantity"' in response.content.decode()
    p.refresh_from_db()
    assert p.status == S.OPEN
    assert not StockingOrder.objects.exists()


def test_a_ship_date_outside_the_window_is_refused_beside_the_field(signed_in, mine):
    response = signed_in.post(
        detail(mine),
        {
            "action": "confirm",
            "quantity": 12,
            "ship_by": (suppliers_today() - timedelta(days=1)).isoformat(),
        },
    )
    assert 'data-field="ship_by"' in response.content.decode()


def test_decline_needs_a_reason(signed_in, mine):
    response = signed_in.post(detail(mine), {"action": "decline", "reason": ""})
    assert 'data-field="reason"' in response.content.decode()
    response = signed_in.post(detail(mine), {"action": "decline", "reason": "Out of material"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.decline_reason) == (S.DECLINED, "Out of material")


def test_snooze(signed_in, mine):
    response = signed_in.post(detail(mine), {"action": "snooze", "days": 31})
    assert 'data-field="days"' in response.content.decode()
    response = signed_in.post(detail(mine), {"action": "snooze", "days": 3})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.snoozed_until == suppliers_today() + timedelta(days=3)
    assert "Snoozed until" in signed_in.get(detail(mine)).content.decode()


def test_an_answered_proposal_refuses_another_answer(signed_in, mine):
    RestockProposal.objects.filter(pk=mine.pk).update(status=S.EXPIRED)
    response = signed_in.post(detail(mine), {"action": "decline", "reason": "late"})
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.status == S.EXPIRED


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_supplier_sees_nothing_and_cannot_act(client, mine, role):
    secret = "SECRET-DECLINE-REASON"
    done = proposal(supplier=mine.supplier, status=S.DECLINED, decline_reason=secret)
    client.force_login(rival_member(role))
    for url in (LIST, LIST + "?tab=history"):
        page = client.get(url).content.decode()
        assert f'data-proposal="{mine.pk}"' not in page
        assert f'data-proposal="{done.pk}"' not in page
    today = suppliers_today().isoformat()
    requests = [("get", detail(mine), {}), ("get", detail(done), {})] + [
        ("post", detail(mine), data)
        for data in (
            {"action": "confirm", "quantity": 12, "ship_by": today},
            {"action": "decline", "reason": "no"},
            {"action": "snooze", "days": 3},
        )
    ]

    def state():
        return (
            list(RestockProposal.objects.values_list("pk", "status", "snoozed_until")),
            StockingOrder.objects.count(),
        )

    assert_ids_are_404(client, requests, state=state, secrets=[secret])


def test_staff_are_not_let_in(client, mine, operator):
    client.force_login(operator)
    assert client.get(LIST).status_code == 403


def test_the_lists_queries_do_not_grow(signed_in, mine):
    signed_in.get(LIST)
    with CaptureQueriesContext(connection) as few:
        signed_in.get(LIST)
    proposal_issue(proposal(supplier=mine.supplier), actor=superuser())
    signed_in.get(LIST + "?tab=history")
    with CaptureQueriesContext(connection) as few_history:
        signed_in.get(LIST + "?tab=history")
    for i in range(5):
        proposal(supplier=mine.supplier, urgent=bool(i % 2))
        proposal(supplier=mine.supplier, status=S.DECLINED)
        issued = proposal(supplier=mine.supplier)
        proposal_issue(issued, actor=superuser())
    with CaptureQueriesContext(connection) as more:
        assert signed_in.get(LIST).status_code == 200
    assert len(more) == len(few)
    with CaptureQueriesContext(connection) as history:
        page = signed_in.get(LIST + "?tab=history").content.decode()
    assert page.count("data-proposal=") == 11
    assert len(history) == len(few_history)
