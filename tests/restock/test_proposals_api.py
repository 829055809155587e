"""Restock proposals through the API: a supplier reads and answers its own (confirm, decline,
snooze), never another's (absent from lists, 404 on every route); staff read all; integrators
403; bad input is a 4xx naming the field; the list's queries do not grow with its rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from logistics.models import StockingOrder
from marketplace.formatting import suppliers_today
from restock.models import Forecast, RestockProposal
from tests.api_support import assert_error, bearer, ids, walk
from tests.factories.accounts import UserFactory, api_client, supplier_token

from .support import member, proposal, proposal_operator

pytestmark = pytest.mark.django_db

LIST = "/api/v1/restock-proposals/"
S = RestockProposal.Status


def url(p: RestockProposal, action: str = "") -> str:
    return f"{LIST}{p.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def mine() -> RestockProposal:
    return proposal(quantity=48, case_pack=12, need="45.200")


@pytest.fixture
def caller(mine: RestockProposal) -> APIClient:
    return bearer(supplier_token(member(mine)))


def staff() -> APIClient:
    client = APIClient()
    client.force_login(proposal_operator())
    return client


def test_a_supplier_lists_its_own_proposals_with_the_arithmetic(mine, caller):
    theirs = proposal()
    rows = walk(caller, LIST)
    assert ids(rows) == [mine.pk]
    row = rows[0]
    assert row["quantity"] == 48
    assert row["lead_days"] == 18
    assert row["rounded"] == 48
    assert row["need"] == "45.200"
    assert row["status"] == "open"
    assert theirs.pk not in ids(walk(staff(), f"{LIST}?supplier={mine.supplier_id}"))
    assert set(ids(walk(staff(), LIST))) == {mine.pk, theirs.pk}


def test_filters(mine, caller):
    urgent = proposal(listing=mine.listing, urgent=True, status=S.DECLINED)
    assert ids(walk(caller, f"{LIST}?status=open")) == [mine.pk]
    assert ids(walk(caller, f"{LIST}?urgent=true")) == [urgent.pk]
    assert ids(walk(caller, f"{LIST}?listing={mine.listing_id}")) == [urgent.pk, mine.pk]
    assert ids(walk(caller, f"{LIST}?status=declined&urgent=false")) == []
    assert_error(caller.get(f"{LIST}?status=nope"), 400, "invalid")


def test_the_detail_explains_the_arithmetic_in_the_readers_language(mine, caller):
    Forecast.objects.create(
        listing=mine.listing,
        pattern="intermittent",
        method="CrostonSBA",
        horizon_days=18,
        mean_daily="2.000",
        rate_7d="2.000",
        rate_28d="2.000",
    )
    body = caller.get(url(mine)).json()
    assert body["explanation"].startswith(
        "Forecast: 2 units a day (Croston SBA, intermittent demand) × 18 days"  # noqa: RUF001
    )
    assert body["pattern"] == "intermittent"
    assert body["room_under_cap"] is None
    assert body["ship_by_earliest"] == suppliers_today().isoformat()
    zh = caller.get(url(mine), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert "预测" in zh["explanation"]


def test_a_supplier_confirms(mine, caller):
    ship_by = suppliers_today() + timedelta(days=3)
    response = caller.post(
        url(mine, "confirm"), {"quantity": 36, "ship_by": ship_by.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["ship_by"] == ship_by.isoformat()
    assert StockingOrder.objects.get(pk=body["stocking_order"]).quantity == 36
    again = caller.post(
        url(mine, "confirm"), {"quantity": 36, "ship_by": ship_by.isoformat()}, format="json"
    )
    assert_error(again, 409, "invalid_transition")


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({"quantity": 0, "ship_by": "TODAY"}, 422, "invalid_quantity", "quantity"),
        ({"quantity": "x", "ship_by": "TODAY"}, 400, "invalid", "quantity"),
        ({"ship_by": "TODAY"}, 400, "invalid", "quantity"),
        ({"quantity": 12, "ship_by": "2001-01-01"}, 422, "invalid_ship_by", "ship_by"),
        ({"quantity": 12, "ship_by": "soon"}, 400, "invalid", "ship_by"),
        ({"quantity": 10_000, "ship_by": "TODAY"}, 422, "over_stocking_cap", "quantity"),
    ],
)
def test_confirm_refusals_name_the_field(payload, status, code, field):
    p = proposal(capped=True)
    caller = bearer(supplier_token(member(p)))
    if payload.get("ship_by") == "TODAY":
        payload = {**payload, "ship_by": suppliers_today().isoformat()}
    body = assert_error(caller.post(url(p, "confirm"), payload, format="json"), status, code)
    assert field in body["fields"], body
    p.refresh_from_db()
    assert p.status == S.OPEN
    assert not StockingOrder.objects.exists()


def test_a_supplier_declines_with_a_reason(mine, caller):
    blank = caller.post(url(mine, "decline"), {"reason": " "}, format="json")
    assert "reason" in assert_error(blank, 422, "reason_required")["fields"]
    response = caller.post(url(mine, "decline"), {"reason": "Mould broken"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["decline_reason"] == "Mould broken"


def test_a_supplier_snoozes(mine, caller):
    for days in (0, 31):
        body = assert_error(
            caller.post(url(mine, "snooze"), {"days": days}, format="json"), 422, "invalid_days"
        )
        assert "days" in body["fields"]
    response = caller.post(url(mine, "snooze"), {"days": 5}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["snoozed_until"] == (suppliers_today() + timedelta(days=5)).isoformat()


def test_another_supplier_cannot_see_or_act_on_a_proposal(mine):
    other = bearer(supplier_token(member(proposal())))
    assert mine.pk not in ids(walk(other, LIST))
    assert mine.pk not in ids(walk(other, f"{LIST}?supplier={mine.supplier_id}"))
    assert_error(other.get(url(mine)), 404, "not_found")
    today = suppliers_today().isoformat()
    for action, payload in (
        ("confirm", {"quantity": 12, "ship_by": today}),
        ("decline", {"reason": "no"}),
        ("snooze", {"days": 3}),
    ):
        assert_error(other.post(url(mine, action), payload, format="json"), 404, "not_found")
    mine.refresh_from_db()
    assert mine.status == S.OPEN
    assert mine.snoozed_until is None


def test_integrators_and_staff_without_the_permission_get_nothing(mine):
    _client, key = api_client()
    integrator = bearer(key)
    assert integrator.get(LIST).status_code == 403
    assert integrator.get(url(mine)).status_code == 403
    assert integrator.post(url(mine, "snooze"), {"days": 3}, format="json").status_code == 403
    bare = APIClient()
    bare.force_login(UserFactory(username="bare", is_staff=True))
    assert walk(bare, LIST) == []


def test_staff_read_but_do_not_answer(mine):
    client = staff()
    assert client.get(url(mine)).status_code == 200
    response = client.post(url(mine, "snooze"), {"days": 3}, format="json")
    assert response.status_code == 403


def queries_for(caller: APIClient, path: str) -> tuple[int, int]:
    caller.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(path)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), len(response.json()["results"])


def test_list_queries_do_not_grow(mine, caller):
    few = queries_for(caller, LIST)
    staff_client = staff()
    staff_few = queries_for(staff_client, LIST)
    for i in range(6):
        proposal(supplier=mine.supplier, urgent=bool(i % 2), snoozed_until=suppliers_today())
        proposal()  # another supplier's
    assert queries_for(caller, LIST) == (few[0], 7)
    assert queries_for(staff_client, LIST) == (staff_few[0], 13)
