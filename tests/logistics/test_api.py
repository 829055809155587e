"""The consignment inventory API: warehouses, stocking orders (accept, decline), inbound
shipments (notice, book, cancel, lines with discrepancies and inspections), pickup slots, stock
and its ageing, overstock offers, payables, and the storefront's consumer orders (Idempotency-Key,
the JIT fallback, fulfil and cancel). For each: scoping (another supplier's rows are absent from
lists and 404 on detail and actions), integrators refused, errors naming the field, and list
query counts that do not grow with the rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from catalogue.models import Listing
from logistics.models import (
    InboundShipment,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    StockingOrder,
    StockLot,
    StockMovement,
    StockPosition,
    Warehouse,
)
from logistics.selectors import pickup_today
from logistics.services.inbound.inspection import line_inspect
from logistics.services.inbound.notices import inbound_create
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.shipments import inbound_transition
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_issue
from logistics.services.overstock import offer_overstock
from marketplace.models import Event
from orders.models import ConsumerOrder, IdempotencyKey, JitOrder, Payable
from orders.services.consumer import consumer_order_create, consumer_order_fulfil
from suppliers.models import Factory
from tests.api_support import assert_error, bearer, ids, walk
from tests.factories.accounts import UserFactory, api_client, supplier_token
from tests.factories.catalogue import ListingFactory, retail_price
from tests.factories.logistics import (
    WarehouseFactory,
    operator,
    position_of,
    receive_stock,
    shipment_for,
    stocked_listing,
)
from tests.factories.orders import jit_listing
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

API = "/api/v1"
WAREHOUSES = f"{API}/warehouses/"
STOCKING = f"{API}/stocking-orders/"
SHIPMENTS = f"{API}/inbound-shipments/"
SLOTS = f"{API}/pickup-slots/"
STOCK = f"{API}/stock/"
AGEING = f"{API}/stock/ageing/"
OFFERS = f"{API}/overstock-offers/"
PAYABLES = f"{API}/payables/"
CONSUMER = f"{API}/consumer-orders/"

STAFF_PERMS = [
    ("logistics", "view_stockingorder"),
    ("logistics", "view_inboundshipment"),
    ("logistics", "change_inboundshipment"),
    ("logistics", "view_pickupslot"),
    ("logistics", "view_stockposition"),
    ("logistics", "view_overstockoffer"),
    ("orders", "view_consumerorder"),
    ("orders", "view_payable"),
]


# --- Helpers ----------------------------------------------------------------------------------


def queries_for(caller: APIClient, url: str) -> tuple[int, int]:
    """(queries, rows) of one list page. A first request is not counted: it stamps the API key's
    last use (at most once per API_KEY_LAST_USED_RESOLUTION), which is not the list's cost."""
    caller.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), len(response.json()["results"])


def issue(listing: Listing, quantity: int = 10, **fields: object) -> StockingOrder:
    return stocking_order_issue(
        listing, quantity=quantity, warehouse=WarehouseFactory(), actor=None, **fields
    )


def accepted(listing: Listing, member: User, quantity: int = 10) -> StockingOrder:
    order = issue(listing, quantity)
    stocking_order_accept(order, actor=member)
    return order


def sibling(listing: Listing, units: int) -> Listing:
    """Another established listing of the same supplier, with `units` in stock."""
    other = ListingFactory(
        supplier=listing.supplier,
        status=Listing.Status.LIVE,
        supply_price_cny=listing.supply_price_cny,
        first_batch_accepted_at=timezone.now(),
    )
    receive_stock(other, units, warehouse=WarehouseFactory())
    return other


def reserve(listing: Listing, quantity: int = 1, external_id: str = "SO-1") -> ConsumerOrder:
    order = consumer_order_create(
        listing_id=listing.pk,
        quantity=quantity,
        external_id=external_id,
        market="US",
        actor=UserFactory(),
    )
    assert isinstance(order, ConsumerOrder)
    return order


def sale(listing: Listing, quantity: int = 1, external_id: str = "SO-1") -> Payable:
    order = consumer_order_fulfil(reserve(listing, quantity, external_id), actor=None)
    return Payable.objects.get(order=order)


def position_in(listing: Listing, warehouse: Warehouse) -> StockPosition:
    return StockPosition.objects.get(listing=listing, warehouse=warehouse)


def overstock(listing: Listing) -> OverstockOffer:
    lot = StockLot.objects.get(position__listing=listing)
    StockLot.objects.filter(pk=lot.pk).update(received_at=timezone.now() - timedelta(days=91))
    offer_overstock()
    return OverstockOffer.objects.get(lot=lot)


# --- Fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def listing() -> Listing:
    """The caller's supplier's listing, with 10 units in stock."""
    return stocked_listing(10)


@pytest.fixture
def rival_listing() -> Listing:
    return stocked_listing(10)


@pytest.fixture
def member(listing) -> User:
    return MembershipFactory(supplier=listing.supplier, role="staff").user


@pytest.fixture
def supplier_api(member) -> APIClient:
    return bearer(supplier_token(member))


@pytest.fixture
def storefront() -> APIClient:
    _client, plain = api_client(scopes=["read", "orders:write"])
    return bearer(plain)


@pytest.fixture
def reader() -> APIClient:
    _client, plain = api_client(scopes=["read"], name="Reporting")
    return bearer(plain)


@pytest.fixture
def staff_api() -> APIClient:
    """An operator with the view permissions of consignment inventory (and changing shipments)."""
    user = UserFactory(username="stock-staff", is_staff=True)
    wanted = Q()
    for app_label, codename in STAFF_PERMS:
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    user.user_permissions.add(*Permission.objects.filter(wanted))
    caller = APIClient()
    caller.force_login(user)
    return caller


@pytest.fixture
def bare_staff_api() -> APIClient:
    """Staff without any consignment permission."""
    caller = APIClient()
    caller.force_login(UserFactory(username="bare-staff", is_staff=True))
    return caller


# --- Warehouses -------------------------------------------------------------------------------


def test_anyone_with_read_lists_the_warehouses(reader, supplier_api, staff_api):
    hub = WarehouseFactory(code="gz-hub", name="Guangzhou hub")
    WarehouseFactory(code="la", name="Los Angeles", kind="overseas", market="US")
    for caller in (reader, supplier_api, staff_api):
        response = caller.get(WAREHOUSES)
        assert response.status_code == 200, response.content
        rows = {row["code"]: row for row in response.json()}
        assert rows["gz-hub"] == {
            "id": hub.pk,
            "code": "gz-hub",
            "name": "Guangzhou hub",
            "kind": "hub",
            "market": None,  # in China: null, not "" (outside the market enum)
            "address": hub.address,
            "is_active": True,
        }
    overseas = reader.get(f"{WAREHOUSES}?kind=overseas").json()
    assert [row["code"] for row in overseas] == ["la"]
    _client, plain = api_client(scopes=["tracking:write"], name="SF Express")
    body = assert_error(bearer(plain).get(WAREHOUSES), 403, "permission_denied")
    assert "`read`" in body["message"]
    assert_error(APIClient().get(WAREHOUSES), 401, "not_authenticated")


# --- Stocking orders --------------------------------------------------------------------------


def test_a_supplier_reads_its_stocking_orders_and_filters_them(
    supplier_api, listing, rival_listing
):
    shipped = StockingOrder.objects.get(listing=listing)  # the one that brought its stock
    mine = issue(listing, 5, urgent=True)
    theirs = issue(rival_listing)
    rows = walk(supplier_api, STOCKING)
    assert ids(rows) == [mine.pk, shipped.pk]
    row = rows[0]
    assert (row["supplier"], row["listing"], row["quantity"], row["urgent"]) == (
        listing.supplier_id,
        listing.pk,
        5,
        True,
    )
    assert row["status"] == "issued"
    assert row["product_title"] == listing.product.title_en
    assert row["warehouse"]["id"] == mine.warehouse_id
    assert ids(walk(supplier_api, f"{STOCKING}?status=issued")) == [mine.pk]
    assert ids(walk(supplier_api, f"{STOCKING}?listing={listing.pk}")) == [mine.pk, shipped.pk]
    assert walk(supplier_api, f"{STOCKING}?listing={rival_listing.pk}") == []
    assert walk(supplier_api, f"{STOCKING}?supplier={rival_listing.supplier_id}") == []
    assert supplier_api.get(f"{STOCKING}{mine.pk}/").json() == row
    assert_error(supplier_api.get(f"{STOCKING}{theirs.pk}/"), 404, "not_found")
    body = assert_error(supplier_api.get(f"{STOCKING}?status=nope"), 400, "invalid")
    assert list(body["fields"]) == ["status"]


def test_staff_with_the_permission_read_every_stocking_order_and_integrators_none(
    staff_api, bare_staff_api, reader, storefront, listing, rival_listing
):
    orders = {issue(listing).pk, issue(rival_listing).pk}
    assert orders <= set(ids(walk(staff_api, f"{STOCKING}?status=issued")))
    rows = walk(staff_api, f"{STOCKING}?status=issued&supplier={rival_listing.supplier_id}")
    assert len(rows) == 1
    assert walk(bare_staff_api, STOCKING) == []
    for caller in (reader, storefront):
        assert_error(caller.get(STOCKING), 403, "permission_denied")
        assert_error(caller.get(f"{STOCKING}{min(orders)}/"), 403, "permission_denied")


def test_a_supplier_accepts_a_stocking_order(supplier_api, listing):
    order = issue(listing)
    response = supplier_api.post(f"{STOCKING}{order.pk}/accept/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ACCEPTED
    # A retried accept is not an error, and records nothing more.
    again = supplier_api.post(f"{STOCKING}{order.pk}/accept/")
    assert again.status_code == 200, again.content
    assert again.json()["status"] == "accepted"
    assert Event.objects.filter(kind="stocking.accepted", subject_id=str(order.pk)).count() == 1
    declined = issue(listing)
    supplier_api.post(f"{STOCKING}{declined.pk}/decline/", {"reason": "No capacity"})
    body = assert_error(
        supplier_api.post(f"{STOCKING}{declined.pk}/accept/"), 409, "invalid_transition"
    )
    assert body["message"] == "This stocking order cannot move from Declined to Accepted."


def test_declining_needs_a_reason(supplier_api, listing):
    order = issue(listing)
    url = f"{STOCKING}{order.pk}/decline/"
    body = assert_error(supplier_api.post(url, {}), 400, "invalid")
    assert list(body["fields"]) == ["reason"]
    body = assert_error(supplier_api.post(url, {"reason": "  "}), 422, "reason_required")
    assert list(body["fields"]) == ["reason"]
    response = supplier_api.post(url, {"reason": "Mould under repair"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["status_reason"]) == (
        "declined",
        "Mould under repair",
    )


def test_another_suppliers_stocking_orders_cannot_be_answered(supplier_api, rival_listing):
    theirs = issue(rival_listing)
    assert_error(supplier_api.post(f"{STOCKING}{theirs.pk}/accept/"), 404, "not_found")
    decline = supplier_api.post(f"{STOCKING}{theirs.pk}/decline/", {"reason": "x"})
    assert_error(decline, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == StockingOrder.Status.ISSUED


def test_only_supplier_users_answer_stocking_orders(staff_api, storefront, listing):
    order = issue(listing)
    for caller in (staff_api, storefront):
        body = assert_error(caller.post(f"{STOCKING}{order.pk}/accept/"), 403, "permission_denied")
        assert "`supplier`" in body["message"]
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ISSUED


# --- Inbound shipments ------------------------------------------------------------------------


def test_a_supplier_sends_a_shipment_by_carrier_then_books_it(supplier_api, member, listing):
    order = accepted(listing, member, 12)
    response = supplier_api.post(
        SHIPMENTS,
        {"stocking_order": order.pk, "carrier": "SF Express", "waybill": "sf1234567890"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    shipment = InboundShipment.objects.get(pk=body["id"])
    assert (body["status"], body["stocking_order"], body["supplier"]) == (
        "draft",
        order.pk,
        listing.supplier_id,
    )
    assert (body["carrier"], body["waybill"], body["pickup_requested"]) == (
        "SF Express",
        "SF1234567890",
        False,
    )
    assert body["warehouse"]["id"] == order.warehouse_id
    [line] = body["lines"]
    assert (line["listing"], line["declared"], line["received"], line["over_short"]) == (
        listing.pk,
        12,
        None,
        None,
    )
    assert line["inspection"] is None
    booked = supplier_api.post(f"{SHIPMENTS}{shipment.pk}/book/")
    assert booked.status_code == 200, booked.content
    assert booked.json()["status"] == "booked"
    rebooked = supplier_api.post(f"{SHIPMENTS}{shipment.pk}/book/")
    assert (rebooked.status_code, rebooked.json()["status"]) == (200, "booked")  # a retry
    unsaid = supplier_api.post(f"{SHIPMENTS}{shipment.pk}/cancel/", {"reason": " "})
    assert list(assert_error(unsaid, 422, "reason_required")["fields"]) == ["reason"]
    shipment.refresh_from_db()
    assert shipment.status != "cancelled"
    cancelled = supplier_api.post(f"{SHIPMENTS}{shipment.pk}/cancel/", {"reason": "Wrong size"})
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["status"] == "cancelled"
    assert_error(supplier_api.post(f"{SHIPMENTS}{shipment.pk}/book/"), 409, "invalid_transition")


def test_a_shipment_may_list_its_lines(supplier_api, member, listing):
    order = accepted(listing, member, 12)
    rows = [{"listing": listing.pk, "declared": 7}, {"listing": listing.pk, "declared": 5}]
    response = supplier_api.post(
        SHIPMENTS,
        {"stocking_order": order.pk, "lines": rows, "carrier": "ZTO", "waybill": "ZT1"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [line["declared"] for line in response.json()["lines"]] == [7, 5]


def test_shipment_notice_errors_name_the_field(supplier_api, member, listing, rival_listing):
    order = accepted(listing, member)

    def post(**fields: object):
        return supplier_api.post(SHIPMENTS, {"stocking_order": order.pk, **fields}, format="json")

    body = assert_error(supplier_api.post(SHIPMENTS, {}, format="json"), 400, "invalid")
    assert list(body["fields"]) == ["stocking_order"]
    body = assert_error(post(lines=[{"listing": listing.pk, "declared": 0}]), 400, "invalid")
    assert list(body["fields"]) == ["lines[0].declared"]
    body = assert_error(post(lines=[]), 400, "invalid")
    assert list(body["fields"]) == ["lines"]
    wrong = [{"listing": listing.pk, "declared": 1}, {"listing": rival_listing.pk, "declared": 1}]
    body = assert_error(post(lines=wrong, carrier="SF", waybill="SF1"), 422, "invalid_shipment")
    assert list(body["fields"]) == ["lines[1].listing"]
    body = assert_error(post(carrier="SF Express"), 422, "invalid_shipment")
    assert list(body["fields"]) == ["waybill"]
    body = assert_error(post(pickup=True), 422, "invalid_shipment")
    assert list(body["fields"]) == ["pickup"]
    issued = issue(listing)
    body = assert_error(
        supplier_api.post(
            SHIPMENTS, {"stocking_order": issued.pk, "carrier": "SF", "waybill": "SF1"}
        ),
        409,
        "not_accepted",
    )
    theirs = issue(rival_listing)
    body = assert_error(
        supplier_api.post(SHIPMENTS, {"stocking_order": theirs.pk, "carrier": "SF"}),
        404,
        "not_found",
    )
    assert list(body["fields"]) == ["stocking_order"]
    assert not InboundShipment.objects.filter(stocking_order__in=[order, issued, theirs]).exists()


def test_a_quantity_beyond_an_integer_is_a_400_naming_the_line(supplier_api, member, listing):
    order = accepted(listing, member)
    body = {
        "stocking_order": order.pk,
        "lines": [{"listing": listing.pk, "declared": 3_000_000_000}],
        "carrier": "SF",
        "waybill": "SF1",
    }
    refused = assert_error(supplier_api.post(SHIPMENTS, body, format="json"), 400, "invalid")
    assert list(refused["fields"]) == ["lines[0].declared"]
    assert not InboundShipment.objects.filter(stocking_order=order).exists()


def test_a_pickup_in_a_served_cluster_and_its_slots(
    supplier_api, staff_api, reader, member, listing, rival_listing
):
    cluster = PickupCluster.objects.create(name="Shantou Chenghai toys", province="Guangdong")
    other = PickupCluster.objects.create(name="Yiwu small goods", province="Zhejiang")
    Factory.objects.filter(supplier=listing.supplier).update(industrial_cluster=cluster.name)
    hub = WarehouseFactory()
    today = pickup_today()
    past = PickupSlot.objects.create(
        cluster=cluster, date=today - timedelta(days=1), window="09:00-12:00", warehouse=hub
    )
    soon = PickupSlot.objects.create(
        cluster=cluster, date=today + timedelta(days=1), window="09:00-12:00", warehouse=hub
    )
    later = PickupSlot.objects.create(
        cluster=cluster, date=today + timedelta(days=3), window="14:00-17:00", warehouse=hub
    )
    elsewhere = PickupSlot.objects.create(
        cluster=other, date=today + timedelta(days=1), window="09:00-12:00", warehouse=hub
    )
    order = accepted(listing, member)
    response = supplier_api.post(
        SHIPMENTS, {"stocking_order": order.pk, "pickup": True}, format="json"
    )
    assert response.status_code == 201, response.content
    shipment = response.json()
    assert (shipment["pickup_requested"], shipment["pickup_slot"]) == (True, None)
    # No slot yet: it cannot be booked.
    book = supplier_api.post(f"{SHIPMENTS}{shipment['id']}/book/")
    body = assert_error(book, 422, "not_bookable")
    assert list(body["fields"]) == ["waybill"]

    rows = walk(supplier_api, SLOTS)
    assert ids(rows) == [soon.pk, later.pk]
    assert rows[0] == {
        "id": soon.pk,
        "cluster": cluster.pk,
        "cluster_name": cluster.name,
        "date": soon.date.isoformat(),
        "window": "09:00-12:00",
        "warehouse": {"id": hub.pk, "code": hub.code, "name": hub.name},
    }
    assert set(ids(walk(staff_api, SLOTS))) == {past.pk, soon.pk, later.pk, elsewhere.pk}
    assert ids(walk(staff_api, f"{SLOTS}?cluster={other.pk}")) == [elsewhere.pk]
    # A supplier none of whose factories is in a served cluster sees no slot.
    rival = MembershipFactory(supplier=rival_listing.supplier).user
    assert walk(bearer(supplier_token(rival)), SLOTS) == []
    assert_error(reader.get(SLOTS), 403, "permission_denied")


def test_shipment_lines_show_discrepancies_and_the_inspection(supplier_api, listing):
    shipment = shipment_for(listing, 10, status="arrived")
    line = shipment.lines.get()
    staff = operator()
    line_count(line, received=12, damaged=1, actor=staff)
    inspection = line_inspect(line, defects=0, actor=staff)
    response = supplier_api.get(f"{SHIPMENTS}{shipment.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "receiving"
    [row] = body["lines"]
    assert (row["declared"], row["received"], row["damaged"], row["over_short"]) == (10, 12, 1, 2)
    assert row["counted_at"]
    found = row["inspection"]
    assert found["result"] == inspection.result == "accepted"
    assert (found["letter"], found["sample_size"]) == (inspection.letter, inspection.sample_size)
    assert (found["accept_number"], found["reject_number"]) == (
        inspection.accept_number,
        inspection.reject_number,
    )
    assert (found["defects"], found["lot_size"], found["aql"]) == (0, 11, inspection.aql)
    assert (found["severity"], found["severity_reason"]) == ("normal", inspection.severity_reason)
    assert body in walk(supplier_api, f"{SHIPMENTS}?status=receiving")


def test_another_suppliers_shipments_are_hidden_and_cannot_be_moved(
    supplier_api, listing, rival_listing
):
    mine = shipment_for(listing, 3, status="draft")
    theirs = shipment_for(rival_listing, 3, status="draft")
    rows = walk(supplier_api, SHIPMENTS)
    assert mine.pk in ids(rows)
    assert theirs.pk not in ids(rows)
    assert walk(supplier_api, f"{SHIPMENTS}?stocking_order={theirs.stocking_order_id}") == []
    assert_error(supplier_api.get(f"{SHIPMENTS}{theirs.pk}/"), 404, "not_found")
    assert_error(supplier_api.post(f"{SHIPMENTS}{theirs.pk}/book/"), 404, "not_found")
    assert_error(supplier_api.post(f"{SHIPMENTS}{theirs.pk}/cancel/"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == InboundShipment.Status.DRAFT


def test_staff_cancel_shipments_and_integrators_see_none(
    staff_api, bare_staff_api, reader, storefront, rival_listing
):
    theirs = shipment_for(rival_listing, 3, status="booked")
    assert theirs.pk in ids(walk(staff_api, SHIPMENTS))
    assert_error(bare_staff_api.post(f"{SHIPMENTS}{theirs.pk}/cancel/"), 403, "permission_denied")
    response = staff_api.post(f"{SHIPMENTS}{theirs.pk}/cancel/", {"reason": "Abandoned"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    for caller in (reader, storefront):
        assert_error(caller.get(SHIPMENTS), 403, "permission_denied")
        assert_error(caller.get(f"{SHIPMENTS}{theirs.pk}/"), 403, "permission_denied")
        assert_error(
            caller.post(SHIPMENTS, {"stocking_order": theirs.stocking_order_id}),
            403,
            "permission_denied",
        )


# --- Stock ------------------------------------------------------------------------------------


def test_a_supplier_reads_its_stock_with_reservations_sales_and_age(
    supplier_api, listing, rival_listing
):
    first_warehouse = position_of(listing).warehouse
    sale(listing, 2, "SO-1")
    reserve(listing, 3, "SO-2")
    second = WarehouseFactory()
    receive_stock(listing, 4, warehouse=second)
    position = position_in(listing, second)
    StockLot.objects.filter(position=position).update(
        received_at=timezone.now() - timedelta(days=40, hours=1)
    )
    rows = walk(supplier_api, STOCK)
    assert [(row["listing"], row["warehouse"]["id"]) for row in rows] == [
        (listing.pk, first_warehouse.pk),
        (listing.pk, second.pk),
    ]
    first, aged = rows
    assert (first["on_hand"], first["available"], first["reserved"], first["sold"]) == (8, 5, 3, 2)
    assert first["product_title"] == listing.product.title_en
    assert (first["supplier"], first["age_days"]) == (listing.supplier_id, 0)
    assert first["oldest_received_at"]
    assert (aged["on_hand"], aged["available"], aged["age_days"]) == (4, 4, 40)
    assert ids(walk(supplier_api, f"{STOCK}?warehouse={second.pk}")) == [position.pk]
    assert ids(walk(supplier_api, f"{STOCK}?listing={listing.pk}")) == ids(rows)
    assert walk(supplier_api, f"{STOCK}?listing={rival_listing.pk}") == []
    assert walk(supplier_api, f"{STOCK}?supplier={rival_listing.supplier_id}") == []


def test_staff_read_all_stock_and_integrators_none(
    staff_api, bare_staff_api, reader, storefront, listing, rival_listing
):
    rows = walk(staff_api, STOCK)
    assert {row["listing"] for row in rows} >= {listing.pk, rival_listing.pk}
    rival_rows = walk(staff_api, f"{STOCK}?supplier={rival_listing.supplier_id}")
    assert [row["listing"] for row in rival_rows] == [rival_listing.pk]
    assert walk(bare_staff_api, STOCK) == []
    for caller in (reader, storefront):
        assert_error(caller.get(STOCK), 403, "permission_denied")
        assert_error(caller.get(AGEING), 403, "permission_denied")


def test_stock_ageing_buckets_for_the_callers_supplier(
    supplier_api, staff_api, bare_staff_api, listing, rival_listing
):
    other = sibling(listing, 5)
    StockLot.objects.filter(position__listing=other).update(
        received_at=timezone.now() - timedelta(days=100)
    )
    reserve(listing, 3)  # reserved units are still in stock
    response = supplier_api.get(AGEING)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["supplier"] == listing.supplier_id
    assert body["buckets"] == [
        {"low": 0, "high": 30, "units": 10},
        {"low": 31, "high": 60, "units": 0},
        {"low": 61, "high": 90, "units": 0},
        {"low": 91, "high": None, "units": 5},
    ]
    # A supplier user always reads its own, whatever it asks.
    mine = supplier_api.get(f"{AGEING}?supplier={rival_listing.supplier_id}").json()
    assert mine["supplier"] == listing.supplier_id
    theirs = staff_api.get(f"{AGEING}?supplier={rival_listing.supplier_id}").json()
    assert theirs["buckets"][0]["units"] == 10
    body = assert_error(staff_api.get(AGEING), 400, "invalid")
    assert list(body["fields"]) == ["supplier"]
    body = assert_error(staff_api.get(f"{AGEING}?supplier=x"), 400, "invalid")
    assert list(body["fields"]) == ["supplier"]
    assert_error(bare_staff_api.get(f"{AGEING}?supplier=1"), 403, "permission_denied")


# --- Overstock offers -------------------------------------------------------------------------


def test_a_supplier_takes_back_or_leaves_its_overstock(supplier_api, listing, rival_listing):
    offer = overstock(listing)
    left = overstock(sibling(listing, 4))
    theirs = overstock(rival_listing)
    rows = walk(supplier_api, OFFERS)
    assert set(ids(rows)) == {offer.pk, left.pk}
    row = supplier_api.get(f"{OFFERS}{offer.pk}/").json()
    assert (row["listing"], row["quantity"], row["status"]) == (listing.pk, 10, "offered")
    assert row["product_title"] == listing.product.title_en
    response = supplier_api.post(f"{OFFERS}{offer.pk}/take-back/")
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["quantity"]) == ("returned", 10)
    assert (position_of(listing).on_hand, position_of(listing).available) == (0, 0)
    body = assert_error(supplier_api.post(f"{OFFERS}{offer.pk}/leave/"), 409, "invalid_transition")
    assert body["message"] == "This overstock offer cannot move from Returned to Left for markdown."
    again = supplier_api.post(f"{OFFERS}{offer.pk}/take-back/")  # a retry: nothing more leaves
    assert (again.status_code, again.json()["quantity"]) == (200, 10)
    assert (position_of(listing).on_hand, position_of(listing).available) == (0, 0)
    assert StockMovement.objects.filter(kind="return_to_supplier").count() == 1
    response = supplier_api.post(f"{OFFERS}{left.pk}/leave/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "left_for_markdown"
    assert ids(walk(supplier_api, f"{OFFERS}?status=offered")) == []
    # Another supplier's offer.
    assert_error(supplier_api.get(f"{OFFERS}{theirs.pk}/"), 404, "not_found")
    assert_error(supplier_api.post(f"{OFFERS}{theirs.pk}/take-back/"), 404, "not_found")
    assert_error(supplier_api.post(f"{OFFERS}{theirs.pk}/leave/"), 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.status == OverstockOffer.Status.OFFERED


def test_staff_read_overstock_offers_but_only_suppliers_answer(staff_api, reader, rival_listing):
    theirs = overstock(rival_listing)
    assert ids(walk(staff_api, OFFERS)) == [theirs.pk]
    assert_error(staff_api.post(f"{OFFERS}{theirs.pk}/leave/"), 403, "permission_denied")
    assert_error(reader.get(OFFERS), 403, "permission_denied")


# --- Payables ---------------------------------------------------------------------------------


def test_a_supplier_reads_its_payables(supplier_api, listing, rival_listing):
    payable = sale(listing, 2, "SO-1")
    theirs = sale(rival_listing, 1, "SO-2")
    rows = walk(supplier_api, PAYABLES)
    assert rows == [
        {
            "id": payable.pk,
            "order": payable.order_id,
            "supplier": listing.supplier_id,
            "listing": listing.pk,
            "quantity": 2,
            "unit_supply_price": "20.00",
            "amount": "40.00",
            "status": "open",
            "recorded_at": rows[0]["recorded_at"],
        }
    ]
    assert supplier_api.get(f"{PAYABLES}{payable.pk}/").json() == rows[0]
    assert_error(supplier_api.get(f"{PAYABLES}{theirs.pk}/"), 404, "not_found")
    cut = (payable.recorded_at + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert ids(walk(supplier_api, f"{PAYABLES}?recorded_before={cut}")) == [payable.pk]
    assert walk(supplier_api, f"{PAYABLES}?recorded_after={cut}") == []
    assert ids(walk(supplier_api, f"{PAYABLES}?status=open")) == [payable.pk]
    assert walk(supplier_api, f"{PAYABLES}?status=paid") == []
    body = assert_error(supplier_api.get(f"{PAYABLES}?recorded_after=yesterday"), 400, "invalid")
    assert list(body["fields"]) == ["recorded_after"]


def test_staff_read_every_payable_and_integrators_none(
    staff_api, bare_staff_api, reader, storefront, listing, rival_listing
):
    payables = {sale(listing).pk, sale(rival_listing).pk}
    assert set(ids(walk(staff_api, PAYABLES))) == payables
    assert len(walk(staff_api, f"{PAYABLES}?supplier={listing.supplier_id}")) == 1
    assert walk(bare_staff_api, PAYABLES) == []
    for caller in (reader, storefront):
        assert_error(caller.get(PAYABLES), 403, "permission_denied")
        assert_error(caller.get(f"{PAYABLES}{min(payables)}/"), 403, "permission_denied")


# --- Consumer orders --------------------------------------------------------------------------


def order_body(listing: Listing, **fields: object) -> dict:
    return {"listing": listing.pk, "quantity": 3, "external_id": "SO-100", "market": "US", **fields}


def place(caller: APIClient, body: dict, key: str | None = "key-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return caller.post(CONSUMER, body, format="json", **headers)


def test_a_consumer_order_reserves_stock(storefront, listing):
    response = place(storefront, order_body(listing))
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == ["kind", "order"]
    assert body["kind"] == "consumer"
    order = ConsumerOrder.objects.get()
    made = body["order"]
    assert made["id"] == order.pk
    assert (made["status"], made["listing"], made["quantity"], made["market"]) == (
        "reserved",
        listing.pk,
        3,
        "US",
    )
    assert (made["unit_supply_price"], made["supplier"]) == ("20.00", listing.supplier_id)
    assert made["warehouse"] == position_of(listing).warehouse_id
    position = position_of(listing)
    assert (position.on_hand, position.available, position.reserved) == (10, 7, 3)
    assert storefront.get(f"{CONSUMER}{order.pk}/").json() == made


def test_a_jit_listing_without_stock_makes_a_jit_order(storefront):
    jit = jit_listing()
    response = place(storefront, order_body(jit))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "jit"
    order = JitOrder.objects.get()
    assert body["order"] == storefront.get(f"{API}/jit-orders/{order.pk}/").json()
    assert not ConsumerOrder.objects.exists()
    # The replay gives the same bytes, the JIT order's keys in their order.
    again = place(storefront, order_body(jit))
    assert (again.status_code, again.content) == (201, response.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert JitOrder.objects.count() == 1


def test_consumer_orders_need_an_idempotency_key(storefront, listing):
    body = assert_error(
        place(storefront, order_body(listing), key=None), 400, "idempotency_key_required"
    )
    assert "Idempotency-Key" in body["fields"]
    assert_error(
        place(storefront, order_body(listing), key="k" * 101), 400, "idempotency_key_invalid"
    )
    assert not ConsumerOrder.objects.exists()


def test_the_same_key_and_body_replay_and_another_body_is_refused(storefront, listing):
    first = place(storefront, order_body(listing))
    assert first.status_code == 201, first.content
    again = storefront.post(
        CONSUMER,
        f'{{"market": "US", "external_id": "SO-100", "quantity": 3, "listing": {listing.pk}}}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert ConsumerOrder.objects.count() == 1
    assert position_of(listing).available == 7
    body = assert_error(
        place(storefront, order_body(listing, quantity=4)), 422, "idempotency_key_reused"
    )
    assert "Idempotency-Key" in body["fields"]
    assert ConsumerOrder.objects.count() == 1
    assert IdempotencyKey.objects.get().response_status == 201


def test_a_refused_consumer_order_is_not_stored_so_a_retry_is_evaluated_again(storefront, listing):
    body = assert_error(place(storefront, order_body(listing, quantity=11)), 409, "out_of_stock")
    assert list(body["fields"]) == ["quantity"]
    assert not IdempotencyKey.objects.exists()
    assert place(storefront, order_body(listing, quantity=10)).status_code == 201


def test_consumer_order_input_errors_name_the_field(storefront, listing):
    body = assert_error(place(storefront, {"listing": listing.pk}), 400, "invalid")
    assert set(body["fields"]) == {"quantity", "external_id", "market"}
    body = assert_error(place(storefront, order_body(listing, market="XX")), 400, "invalid")
    assert list(body["fields"]) == ["market"]
    body = assert_error(place(storefront, order_body(listing, quantity=0)), 400, "invalid")
    assert list(body["fields"]) == ["quantity"]
    body = assert_error(
        place(storefront, {**order_body(listing), "listing": 999999}), 422, "listing_not_found"
    )
    assert list(body["fields"]) == ["listing"]
    body = assert_error(
        place(storefront, order_body(listing, country="GB")), 422, "country_not_in_market"
    )
    assert list(body["fields"]) == ["country"]
    # A semi-managed listing sells only where its seller reports stock (tests/shipping).
    semi = ListingFactory(
        supplier=listing.supplier,
        mode=Listing.Mode.SEMI_MANAGED,
        status=Listing.Status.LIVE,
        supply_price_cny=Decimal("10.00"),
    )
    retail_price(semi)
    body = assert_error(place(storefront, order_body(semi)), 422, "no_overseas_stock")
    assert list(body["fields"]) == ["market"]
    assert not ConsumerOrder.objects.exists()
    assert not IdempotencyKey.objects.exists()


def test_placing_consumer_orders_needs_orders_write(reader, supplier_api, listing):
    for caller in (reader, supplier_api):
        body = assert_error(place(caller, order_body(listing)), 403, "permission_denied")
        assert "`orders:write`" in body["message"]
    assert not ConsumerOrder.objects.exists()


def test_the_storefront_fulfils_and_cancels_consumer_orders(storefront, listing):
    sold = reserve(listing, 2, "SO-1")
    dropped = reserve(listing, 3, "SO-2")
    response = storefront.post(f"{CONSUMER}{sold.pk}/fulfil/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "fulfilled"
    assert response.json()["fulfilled_at"]
    assert Payable.objects.get(order=sold).amount == 40
    response = storefront.post(f"{CONSUMER}{dropped.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    position = position_of(listing)
    assert (position.on_hand, position.available, position.sold) == (8, 8, 2)
    assert_error(storefront.post(f"{CONSUMER}{sold.pk}/cancel/"), 409, "invalid_transition")
    assert_error(storefront.post(f"{CONSUMER}{dropped.pk}/fulfil/"), 409, "invalid_transition")
    assert_error(storefront.post(f"{CONSUMER}999999/fulfil/"), 404, "not_found")


def test_only_orders_write_fulfils_or_cancels(supplier_api, reader, staff_api, listing):
    order = reserve(listing)
    for caller in (supplier_api, reader, staff_api):
        for action in ("fulfil", "cancel"):
            response = caller.post(f"{CONSUMER}{order.pk}/{action}/")
            assert_error(response, 403, "permission_denied")
    order.refresh_from_db()
    assert order.status == ConsumerOrder.Status.RESERVED


def test_consumer_orders_are_scoped_to_the_supplier(
    supplier_api, reader, staff_api, bare_staff_api, listing, rival_listing
):
    mine = reserve(listing, 1, "SO-1")
    theirs = reserve(rival_listing, 1, "SO-2")
    assert ids(walk(supplier_api, CONSUMER)) == [mine.pk]
    assert_error(supplier_api.get(f"{CONSUMER}{theirs.pk}/"), 404, "not_found")
    assert walk(supplier_api, f"{CONSUMER}?supplier={rival_listing.supplier_id}") == []
    for caller in (reader, staff_api):
        assert ids(walk(caller, CONSUMER)) == [theirs.pk, mine.pk]
        assert ids(walk(caller, f"{CONSUMER}?external_id=SO-2")) == [theirs.pk]
        assert ids(walk(caller, f"{CONSUMER}?listing={listing.pk}")) == [mine.pk]
    assert walk(bare_staff_api, CONSUMER) == []
    consumer_order_fulfil(mine, actor=None)
    assert ids(walk(reader, f"{CONSUMER}?status=fulfilled")) == [mine.pk]


# --- Query counts -----------------------------------------------------------------------------


def test_stock_list_queries_do_not_grow(supplier_api, staff_api):
    listing = stocked_listing()
    caller = bearer(supplier_token(MembershipFactory(supplier=listing.supplier).user))
    for _ in range(2):
        receive_stock(listing, 2, warehouse=WarehouseFactory())
    reserve(listing, 1)
    few = {name: queries_for(c, STOCK) for name, c in (("supplier", caller), ("staff", staff_api))}
    assert few["supplier"][1] == 2
    for _ in range(8):
        receive_stock(listing, 2, warehouse=WarehouseFactory())
    many = {name: queries_for(c, STOCK) for name, c in (("supplier", caller), ("staff", staff_api))}
    assert many["supplier"] == (few["supplier"][0], 10)
    assert many["staff"][0] == few["staff"][0]


def test_stocking_order_and_shipment_list_queries_do_not_grow(staff_api):
    listing = stocked_listing()
    member = MembershipFactory(supplier=listing.supplier).user
    caller = bearer(supplier_token(member))

    def more(n: int) -> None:
        for i in range(n):
            order = accepted(listing, member, 5)
            shipment = inbound_create(order, actor=member, carrier="SF", waybill=f"SF{i}")
            if i % 2:  # some lines counted and inspected, some not
                for target in ("booked", "in_transit", "arrived"):
                    inbound_transition(shipment, target, actor=None)
                line = shipment.lines.get()
                line_count(line, received=5, damaged=0, actor=operator())
                line_inspect(line, defects=0, actor=operator())

    more(2)
    few = {url: queries_for(caller, url) for url in (STOCKING, SHIPMENTS)}
    staff_few = {url: queries_for(staff_api, url)[0] for url in (STOCKING, SHIPMENTS)}
    assert [rows for _queries, rows in few.values()] == [2, 2]
    more(8)
    for url in (STOCKING, SHIPMENTS):
        assert queries_for(caller, url) == (few[url][0], 10)
        assert queries_for(staff_api, url)[0] == staff_few[url]


def test_payable_and_consumer_order_list_queries_do_not_grow(staff_api, storefront):
    listing = stocked_listing(20)
    caller = bearer(supplier_token(MembershipFactory(supplier=listing.supplier).user))
    for n in range(2):
        sale(listing, 1, f"SO-{n}")
    few = {url: queries_for(caller, url) for url in (PAYABLES, CONSUMER)}
    others = {
        (url, name): queries_for(c, url)[0]
        for url in (PAYABLES, CONSUMER)
        for name, c in (("staff", staff_api), ("storefront", storefront))
        if (url, name) != (PAYABLES, "storefront")
    }
    assert [rows for _queries, rows in few.values()] == [2, 2]
    for n in range(2, 10):
        sale(listing, 1, f"SO-{n}")
    for url in (PAYABLES, CONSUMER):
        assert queries_for(caller, url) == (few[url][0], 10)
    for (url, name), count in others.items():
        c = staff_api if name == "staff" else storefront
        assert queries_for(c, url)[0] == count
