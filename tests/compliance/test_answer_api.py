"""The compliance answer through the API (issue 12): `GET /api/v1/listings/{id}/compliance/`,
scoped like the listing (another supplier's listing is a 404), replayable with `at`; an unknown
market is a 422 naming `market`; standards and programmes are read with their requirements."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from catalogue.models import Category, Listing
from tests.api_support import assert_error, bearer
from tests.factories.accounts import api_client, supplier_token
from tests.factories.catalogue import ListingFactory, ProductFactory

from .answer_support import make_compliant

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrator():
    _client, plain = api_client(scopes=["read"])
    return bearer(plain)


@pytest.fixture
def supplier_api(supplier_user):
    return bearer(supplier_token(supplier_user))


@pytest.fixture
def own(supplier_user):
    return supplier_user.supplier_membership.supplier


def toy(supplier=None, **kwargs) -> Listing:
    fields = {"supplier": supplier} if supplier else {}
    return ListingFactory(
        product=ProductFactory(category=Category.objects.get(code="toys")), **fields, **kwargs
    )


def url(listing: Listing, **query: str) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/listings/{listing.pk}/compliance/?{params}"


def test_a_supplier_reads_the_answer_for_its_own_listing(spec_programmes, supplier_api, own):
    listing = toy(own)
    body = supplier_api.get(url(listing, market="US")).json()
    assert body["listing"] == listing.pk
    assert body["market"] == "US"
    assert body["may_sell"] is False
    assert body["may_ship"] is False
    assert body["reasons"][0] == {
        "code": "test_missing",
        "message": "No passing test to ASTM F963-23.",
        "standard": "ASTM F963-23",
        "on": None,
        "fields": [],
    }
    make_compliant(listing)
    body = supplier_api.get(url(listing, market="US")).json()
    assert (body["may_sell"], body["reasons"]) == (True, [])


def test_another_suppliers_listing_is_a_404(spec_programmes, supplier_api):
    other = toy()
    assert_error(supplier_api.get(url(other, market="US")), 404, "not_found")


def test_integrators_read_live_listings_only(spec_programmes, integrator):
    live = toy(status="live")
    draft = toy(status="draft")
    assert integrator.get(url(live, market="EU")).status_code == 200
    assert integrator.get(url(draft, market="EU")).status_code == 404


def test_an_unknown_market_is_a_422_naming_market(supplier_api, own):
    listing = (
        toy(own) if Category.objects.filter(code="toys").exists() else ListingFactory(supplier=own)
    )
    body = assert_error(supplier_api.get(url(listing, market="XX")), 422, "unknown_market")
    assert "market" in body["fields"]
    body = assert_error(supplier_api.get(url(listing)), 400, "invalid")
    assert "market" in body["fields"]


def test_at_replays_a_past_moment(spec_programmes, supplier_api, own):
    listing = ListingFactory(
        supplier=own, product=ProductFactory(category=Category.objects.get(code="electronics"))
    )
    july = datetime(2025, 7, 15, 12, tzinfo=UTC)
    make_compliant(listing, ["EU"], at=july)
    from compliance.models import Certificate, TestRecord

    TestRecord.objects.update(valid_until="2026-12-31")
    Certificate.objects.update(valid_until="2027-12-31")
    then = supplier_api.get(url(listing, market="EU", at="2025-07-15T12:00:00Z")).json()
    assert then["may_sell"] is True
    later = supplier_api.get(url(listing, market="EU", at="2025-08-15T12:00:00Z")).json()
    assert [(r["code"], r["standard"]) for r in later["reasons"]] == [("test_missing", "EN 18031")]
    assert_error(supplier_api.get(url(listing, market="EU", at="yesterday")), 400, "invalid")


def test_standards_and_programmes_are_read_with_filters(
    spec_programmes, integrator, django_assert_max_num_queries
):
    standards = integrator.get("/api/v1/standards/?market=EU&in_force_on=2025-07-01").json()
    codes = {row["code"] for row in standards}
    assert "EN 71-3" in codes
    assert "EN 18031" not in codes  # from 2025-08-01
    assert all(row["market"] == "EU" for row in standards)
    electronics = Category.objects.get(code="electronics")
    with django_assert_max_num_queries(6):
        response = integrator.get(
            f"/api/v1/test-programmes/?market=EU&category={electronics.pk}&in_force_on=2025-09-01"
        )
    [programme] = response.json()
    assert programme["category"] == electronics.pk
    assert "EN 18031" in {r["standard"] for r in programme["requirements"]}
    assert len(integrator.get("/api/v1/test-programmes/?market=EU").json()) >= 5
    assert_error(integrator.get("/api/v1/standards/?market=XX"), 400, "invalid")
    assert_error(integrator.get("/api/v1/test-programmes/?in_force_on=soon"), 400, "invalid")


def test_the_rules_need_the_read_scope(api):
    assert api.get("/api/v1/standards/").status_code in (401, 403)
