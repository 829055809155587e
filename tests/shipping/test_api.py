"""The parcels API: integrators with `read` list every parcel, a supplier user its own (another
supplier's parcel is a 404); filters by market, status, mode, late and held; the detail with
items, milestone times and tracking events; the seller's shipment (supplier users only, own
parcels only, errors naming the field). Lists cost the same queries for 2 rows as for 10."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import ConsumerOrder
from shipping.models import Parcel
from shipping.services.parcels import consumer_order_place
from tests.api_support import assert_error, bearer
from tests.factories.accounts import api_client, supplier_token
from tests.factories.logistics import member_of
from tests.factories.shipping import consumer_order, parcel

from .support import hold, semi_managed_listing, storefront_user

pytestmark = pytest.mark.django_db
PARCELS = "/api/v1/parcels/"


@pytest.fixture
def reader():
    _client, plain = api_client(scopes=["read"], name="Carrier")
    return bearer(plain)


def semi_parcel(units: int = 5, external_id: str = "SO-1") -> Parcel:
    listing = semi_managed_listing(units)
    order = consumer_order_place(
        listing_id=listing.pk, quantity=1, external_id=external_id, market="US",
        actor=storefront_user(),
    )  # fmt: skip
    assert isinstance(order, ConsumerOrder)
    return Parcel.objects.get(order=order)


def seller_api(p: Parcel):
    return bearer(supplier_token(member_of(p.listing)))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_integrators_list_every_parcel_and_suppliers_their_own(reader):
    mine, theirs = semi_parcel(external_id="a"), semi_parcel(external_id="b")
    assert sorted(ids(reader.get(PARCELS))) == sorted([mine.pk, theirs.pk])
    seller = seller_api(mine)
    assert ids(seller.get(PARCELS)) == [mine.pk]
    assert_error(seller.get(f"{PARCELS}{theirs.pk}/"), 404, "not_found")
    assert seller.get(f"{PARCELS}{mine.pk}/").status_code == 200


def test_the_filters(reader):
    late = parcel(late_flagged_at=timezone.now(), market="US")
    held = parcel(held_at=timezone.now())
    uk = parcel(consumer_order(market="UK"))
    delivered = parcel(status=Parcel.Status.DELIVERED)
    assert ids(reader.get(PARCELS, {"late": "true"})) == [late.pk]
    assert ids(reader.get(PARCELS, {"held": "true"})) == [held.pk]
    assert ids(reader.get(PARCELS, {"market": "UK"})) == [uk.pk]
    assert ids(reader.get(PARCELS, {"status": "delivered"})) == [delivered.pk]
    assert len(ids(reader.get(PARCELS, {"late": "false"}))) == 3
    assert_error(reader.get(PARCELS, {"market": "XX"}), 400, "invalid")


def test_the_list_costs_the_same_queries_for_2_rows_as_for_10(reader):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert reader.get(PARCELS).status_code == 200
        return len(queries)

    for _ in range(2):
        parcel()
    count()  # the key's first use writes its last-used time
    two = count()
    for _ in range(8):
        parcel()
    assert count() == two


def test_the_detail_has_items_milestones_and_events():
    p = semi_parcel()
    seller = seller_api(p)
    response = seller.post(
        f"{PARCELS}{p.pk}/ship/", {"carrier": "UPS", "tracking_number": "1Z12345E0205271688"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "picked_up"
    assert body["picked_up_at"]
    assert body["carrier"] == "UPS"
    assert body["tracking_number"] == "1Z12345E0205271688"
    assert [e["code"] for e in body["events"]] == ["picked_up"]
    [item] = body["items"]
    assert item["quantity"] == 1
    assert item["unit_value"] == "24.50"
    again = seller.get(f"{PARCELS}{p.pk}/").json()
    assert again == body


def test_the_ship_endpoint_is_for_the_parcels_seller_only(reader):
    p = semi_parcel(external_id="a")
    other = semi_parcel(external_id="b")
    data = {"carrier": "UPS", "tracking_number": "1Z12345E0205271688"}
    assert_error(reader.post(f"{PARCELS}{p.pk}/ship/", data), 403, "permission_denied")
    assert_error(seller_api(other).post(f"{PARCELS}{p.pk}/ship/", data), 404, "not_found")
    p.refresh_from_db()
    assert p.tracking_number == ""
    assert p.order.status == ConsumerOrder.Status.RESERVED


def test_bad_shipments_name_the_field():
    p = semi_parcel()
    seller = seller_api(p)
    body = assert_error(seller.post(f"{PARCELS}{p.pk}/ship/", {"carrier": "UPS"}), 400, "invalid")
    assert list(body["fields"]) == ["tracking_number"]
    body = assert_error(
        seller.post(f"{PARCELS}{p.pk}/ship/", {"carrier": "UPS", "tracking_number": "no!"}),
        422,
        "invalid_shipment",
    )
    assert list(body["fields"]) == ["tracking_number"]
    hold(p.listing)
    body = assert_error(
        seller.post(f"{PARCELS}{p.pk}/ship/", {"carrier": "UPS", "tracking_number": "ABC123456"}),
        422,
        "compliance_blocked",
    )
    assert [r["code"] for r in body["reasons"]] == ["market_hold"]
    held = seller.get(f"{PARCELS}{p.pk}/").json()
    assert held["held_at"]
    assert [r["code"] for r in held["hold_reasons"]] == ["market_hold"]
    assert held["hold_reasons"][0]["message"]


def test_a_semi_managed_order_through_the_api_and_its_cancellation(reader):
    _client, plain = api_client(scopes=["read", "orders:write"], name="Shop")
    shop = bearer(plain)
    listing = semi_managed_listing(3)
    body = {"listing": listing.pk, "quantity": 2, "external_id": "S-1", "market": "US"}
    response = shop.post("/api/v1/consumer-orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201, response.content
    order = response.json()["order"]
    assert order["warehouse"] is None
    assert order["unit_price"] == "24.50"
    assert (order["currency"], order["country"]) == ("USD", "US")
    [_p] = ids(reader.get(PARCELS))
    assert_error(
        shop.post(f"/api/v1/consumer-orders/{order['id']}/fulfil/"), 409, "shipped_by_seller"
    )
    assert shop.post(f"/api/v1/consumer-orders/{order['id']}/cancel/").status_code == 200
    assert ids(reader.get(PARCELS)) == []


def test_a_stock_report_below_the_reserved_units_is_a_422_naming_quantity():
    p = semi_parcel(3)
    seller = seller_api(p)
    url = f"/api/v1/listings/{p.listing_id}/overseas-stock/"
    body = assert_error(seller.post(url, {"market": "US", "quantity": 0}), 422, "below_reserved")
    assert list(body["fields"]) == ["quantity"]
    assert seller.post(url, {"market": "US", "quantity": 1}).status_code == 200
