"""Consumer orders the storefront may not place: a suspended supplier's listing, a market with
no retail price (422 with their codes, nothing written), and a storefront order reference used
twice by one client (409 naming the existing order; a database constraint, also under two
requests at once)."""

from __future__ import annotations

import threading

import pytest
from rest_framework.test import APIClient

from catalogue.models import Listing
from logistics.models import StockPosition
from marketplace.models import Event
from orders.models import ConsumerOrder, IdempotencyKey, JitOrder
from orders.services import consumer as consumer_services
from suppliers.models import Supplier
from tests.api_support import assert_error, bearer
from tests.concurrency import PARTY_TIMEOUT, run_in_threads
from tests.factories.accounts import api_client
from tests.factories.logistics import stocked_listing
from tests.factories.orders import jit_listing

pytestmark = pytest.mark.django_db
CONSUMER = "/api/v1/consumer-orders/"


def body(listing: Listing, **fields: object) -> dict:
    return {"listing": listing.pk, "quantity": 2, "external_id": "SO-7", "market": "US", **fields}


def place(caller: APIClient, data: dict, key: str = "key-1"):
    return caller.post(CONSUMER, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.fixture
def storefront() -> APIClient:
    _client, plain = api_client(scopes=["read", "orders:write"])
    return bearer(plain)


def available(listing: Listing) -> int:
    return sum(StockPosition.objects.filter(listing=listing).values_list("available", flat=True))


def assert_nothing_written(listing: Listing, units: int) -> None:
    assert not ConsumerOrder.objects.exists()
    assert not JitOrder.objects.exists()
    assert not IdempotencyKey.objects.exists()
    assert not Event.objects.filter(kind__startswith="consumer_order.").exists()
    assert available(listing) == units


@pytest.mark.parametrize("make", [stocked_listing, jit_listing], ids=["consignment", "jit"])
def test_a_suspended_suppliers_listing_is_not_sold(storefront, make):
    listing = make(10) if make is stocked_listing else make()
    units = available(listing)
    Supplier.objects.filter(pk=listing.supplier_id).update(status=Supplier.Status.SUSPENDED)
    answer = assert_error(place(storefront, body(listing)), 422, "supplier_suspended")
    assert list(answer["fields"]) == ["listing"]
    assert_nothing_written(listing, units)


def test_a_terminated_suppliers_listing_is_not_sold(storefront):
    listing = stocked_listing(10)
    Supplier.objects.filter(pk=listing.supplier_id).update(status=Supplier.Status.TERMINATED)
    assert_error(place(storefront, body(listing)), 422, "supplier_not_active")
    assert_nothing_written(listing, 10)


@pytest.mark.parametrize("make", [stocked_listing, jit_listing], ids=["consignment", "jit"])
def test_a_market_without_a_retail_price_is_refused(storefront, make):
    listing = make(10) if make is stocked_listing else make()
    units = available(listing)
    answer = assert_error(place(storefront, body(listing, market="UK")), 422, "no_retail_price")
    assert list(answer["fields"]) == ["market"]
    assert "UK" in answer["message"]
    assert_nothing_written(listing, units)
    assert place(storefront, body(listing, market="US")).status_code == 201


def test_a_reference_used_again_with_a_new_key_is_a_409_naming_the_order(storefront):
    listing = stocked_listing(10)
    first = place(storefront, body(listing), key="key-1")
    assert first.status_code == 201, first.content
    existing = first.json()["order"]["id"]
    again = assert_error(
        place(storefront, body(listing), key="key-2"), 409, "duplicate_external_id"
    )
    assert str(existing) in again["message"]
    assert again["fields"] == {"external_id": [f"Already used by consumer order {existing}."]}
    assert ConsumerOrder.objects.count() == 1
    assert available(listing) == 8  # the second reservation was not kept
    assert IdempotencyKey.objects.count() == 1
    # The first key still replays its answer; another client may use the same reference.
    assert place(storefront, body(listing), key="key-1").status_code == 201
    _client, plain = api_client(scopes=["orders:write"], name="Other shop")
    assert place(bearer(plain), body(listing), key="key-1").status_code == 201
    assert ConsumerOrder.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_reference_at_once_make_one_order(monkeypatch):
    """Two keys, one reference, at the same moment: both pass the look-up before either
    commits; the unique constraint makes the second wait and then refuse it cleanly."""
    listing = stocked_listing(10)
    _client, plain = api_client(scopes=["orders:write"])
    real_refuse = consumer_services._refuse_reused_reference
    both_looked = threading.Barrier(2, timeout=PARTY_TIMEOUT)

    def late_look_up(actor, external_id):
        # Both requests look first, then both go on to insert: the race the constraint closes.
        real_refuse(actor, external_id)
        both_looked.wait()

    monkeypatch.setattr(consumer_services, "_refuse_reused_reference", late_look_up)

    def post(key: str) -> tuple[int, dict]:
        response = place(bearer(plain), body(listing), key=key)
        return response.status_code, response.json()

    answers = run_in_threads(lambda: post("a"), lambda: post("b"))
    statuses = sorted(status for status, _body in answers)
    assert statuses == [201, 409], answers
    order = ConsumerOrder.objects.get()
    refused = next(answer for status, answer in answers if status == 409)
    assert refused["code"] == "duplicate_external_id"
    assert refused["fields"] == {"external_id": [f"Already used by consumer order {order.pk}."]}
    assert available(listing) == 8
    assert IdempotencyKey.objects.count() == 1
