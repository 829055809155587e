"""A parcel's customs decision through the API: a supplier reads its own parcels', integrators
with `read` all; another supplier's parcel, an unknown one or one not decided yet is a 404; the
arithmetic comes worded in the caller's language beside its data."""

from __future__ import annotations

from datetime import date

import pytest

from shipping.services.customs import parcels_decide
from tests.api_support import assert_error, bearer
from tests.factories.accounts import api_client, supplier_token
from tests.factories.catalogue import ListingFactory
from tests.factories.shipping import consumer_order, parcel

pytestmark = pytest.mark.django_db


def url(parcel_id: int) -> str:
    return f"/api/v1/parcels/{parcel_id}/customs/"


@pytest.fixture
def own(supplier_user):
    return supplier_user.supplier_membership.supplier


def decided(supplier=None, market="US", price="19.99", day=date(2025, 5, 1)):
    listing = ListingFactory(supplier=supplier) if supplier else None
    made = parcel(consumer_order(listing, market=market, unit_price=price))
    parcels_decide([made.pk], ship_date=day)
    return made


def test_a_supplier_reads_its_own_parcels_decision(supplier_user, own):
    made = decided(own, market="EU", price="40.00", day=date(2026, 7, 1))
    response = bearer(supplier_token(supplier_user)).get(url(made.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["parcel"] == made.pk
    assert body["outcome"] == "flat_duty"
    assert (body["currency"], body["customs_value"], body["duty"]) == ("EUR", "40.00", "3.00")
    assert body["tax"] == "9.03"  # (40 + 3) x 21%
    assert body["tax_at_sale"] is True
    assert body["ship_date"] == "2026-07-01"
    assert isinstance(body["rule"], int)
    steps = [step["step"] for step in body["arithmetic"]]
    assert steps[0] == "line_value"
    assert steps[-1] == "total"
    flat = next(step for step in body["arithmetic"] if step["step"] == "flat_duty")
    assert flat["data"]["subheadings"] == [made.items.get().hs_code[:6]]
    assert "3.00 EUR" in flat["text"]


def test_the_arithmetic_in_chinese(supplier_user, own):
    made = decided(own)
    body = (
        bearer(supplier_token(supplier_user))
        .get(url(made.pk), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .json()
    )
    assert any("海关价值" in step["text"] for step in body["arithmetic"])


def test_another_suppliers_parcel_is_a_404(supplier_user, own):
    other = decided()
    assert_error(bearer(supplier_token(supplier_user)).get(url(other.pk)), 404, "not_found")


def test_integrators_with_read_see_every_parcels_decision():
    made = decided()
    _client, plain = api_client(scopes=["read"])
    assert bearer(plain).get(url(made.pk)).json()["outcome"] == "de_minimis"
    _client, plain = api_client(scopes=["orders:write"], name="No read")
    assert bearer(plain).get(url(made.pk)).status_code == 403


def test_an_undecided_or_unknown_parcel_is_a_404():
    _client, plain = api_client(scopes=["read"])
    caller = bearer(plain)
    assert_error(caller.get(url(parcel().pk)), 404, "not_found")
    assert_error(caller.get(url(999999)), 404, "not_found")


def test_anonymous_callers_are_refused():
    from rest_framework.test import APIClient

    assert APIClient().get(url(decided().pk)).status_code == 401
