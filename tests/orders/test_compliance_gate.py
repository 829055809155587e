"""The order gate of the compliance answer (issue 12): a consumer order or a JIT order for a
market where the listing's compliance does not hold is refused with 422 `compliance_blocked`
and every reason in the body; nothing is written; the gate costs two queries."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from catalogue.models import Category, Listing, Product
from orders.models import ConsumerOrder, IdempotencyKey, JitOrder
from orders.services.orders import compliance_gate
from tests.api_support import assert_error, bearer
from tests.compliance.answer_support import make_compliant
from tests.factories.accounts import api_client
from tests.factories.logistics import stocked_listing
from tests.factories.orders import jit_listing

pytestmark = pytest.mark.django_db
CONSUMER = "/api/v1/consumer-orders/"
JIT = "/api/v1/jit-orders/"


@pytest.fixture
def storefront() -> APIClient:
    _client, plain = api_client(scopes=["read", "orders:write"])
    return bearer(plain)


def as_toy(listing: Listing) -> Listing:
    Product.objects.filter(pk=listing.product_id).update(category=Category.objects.get(code="toys"))
    return Listing.objects.select_related("product__category", "supplier").get(pk=listing.pk)


def place(caller: APIClient, url: str, data: dict, key: str = "key-1"):
    return caller.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def order(listing: Listing, **fields: object) -> dict:
    return {"listing": listing.pk, "quantity": 2, "external_id": "SO-9", **fields}


@pytest.mark.parametrize("make", [stocked_listing, jit_listing], ids=["consignment", "jit"])
def test_a_consumer_order_where_compliance_fails_is_refused_with_the_reasons(
    spec_programmes, storefront, make
):
    listing = as_toy(make(10) if make is stocked_listing else make())
    response = place(storefront, CONSUMER, order(listing, market="US"))
    body = assert_error(response, 422, "compliance_blocked")
    assert {r["market"] for r in body["reasons"]} == {"US"}
    assert {(r["code"], r["standard"]) for r in body["reasons"]} == {
        ("test_missing", "ASTM F963-23"),
        ("test_missing", "CPSIA"),
        ("certificate_missing", "CPC"),
    }
    assert all(
        set(r) == {"market", "code", "message", "standard", "on", "fields"} for r in body["reasons"]
    )
    assert body["fields"] == {"market": ["Compliance does not hold here."]}
    assert not ConsumerOrder.objects.exists()
    assert not JitOrder.objects.exists()
    assert not IdempotencyKey.objects.exists()
    make_compliant(listing, ["US"])
    assert place(storefront, CONSUMER, order(listing, market="US"), key="key-2").status_code == 201


def test_the_reasons_read_in_the_callers_language(spec_programmes, storefront):
    listing = as_toy(stocked_listing(10))
    response = storefront.post(
        CONSUMER,
        order(listing, market="US"),
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    body = response.json()
    assert response.status_code == 422
    assert any("没有通过" in r["message"] for r in body["reasons"])


def test_a_jit_order_checks_its_market_or_every_priced_market(spec_programmes, storefront):
    listing = as_toy(jit_listing())  # priced in the US only
    make_compliant(listing, ["UK"])
    body = assert_error(place(storefront, JIT, order(listing)), 422, "compliance_blocked")
    assert {r["market"] for r in body["reasons"]} == {"US"}
    assert_error(
        place(storefront, JIT, order(listing, market="US"), key="k2"), 422, "compliance_blocked"
    )
    assert place(storefront, JIT, order(listing, market="UK"), key="k3").status_code == 201
    make_compliant(listing, ["US"])
    assert place(storefront, JIT, order(listing, external_id="SO-10"), key="k4").status_code == 201


def test_without_programmes_orders_go_through(storefront):
    listing = stocked_listing(10)
    assert place(storefront, CONSUMER, order(listing, market="US")).status_code == 201


@pytest.mark.parametrize("market", ["US", None])
def test_the_gate_costs_two_queries(spec_programmes, django_assert_num_queries, market):
    listing = as_toy(jit_listing())
    make_compliant(listing)
    listing = Listing.objects.select_related("product__category", "supplier").get(pk=listing.pk)
    with django_assert_num_queries(2):
        compliance_gate(listing, market)


def test_the_schema_documents_the_reasons_of_the_gate(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in (CONSUMER, JIT):
        ref = schema["paths"][f"/api/v1/{path.split('/')[3]}/"]["post"]["responses"]["422"]
        assert ref["content"]["application/json"]["schema"]["$ref"].endswith(
            "/ComplianceBlockedError"
        )
    blocked = schema["components"]["schemas"]["ComplianceBlockedError"]
    assert "reasons" in blocked["properties"]
