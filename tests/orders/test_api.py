"""The JIT orders API: Idempotency-Key (no key, replay, another body, two at once), scopes (403
naming the scope), refusals with their codes, waybills named when wrong, carrier scans (the
earliest one counts), scoping (another supplier's orders and penalties are 404 and absent from
lists), the appeal window, and constant query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.models import Listing
from marketplace.models import Event
from orders.models import IdempotencyKey, JitOrder, Penalty
from orders.services import orders as order_services
from orders.services.orders import order_ship
from orders.services.sweep import sweep_jit_deadlines
from suppliers.models import Supplier
from tests.api_support import assert_error, bearer, ids, walk
from tests.concurrency import run_in_threads, wait_until_blocked
from tests.factories.accounts import UserFactory, api_client, supplier_token
from tests.factories.catalogue import ListingFactory
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
ORDERS = "/api/v1/jit-orders/"
PENALTIES = "/api/v1/penalties/"
SCANS = "/api/v1/tracking/scans/"
WAYBILL = "SF1234567890123"


def create(caller: APIClient, body: dict, key: str | None = "key-1"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return caller.post(ORDERS, body, format="json", **headers)


@pytest.fixture
def listing() -> Listing:
    return jit_listing()


@pytest.fixture
def rival_listing() -> Listing:
    return jit_listing()


@pytest.fixture
def storefront() -> APIClient:
    _client, plain = api_client(scopes=["read", "orders:write"])
    return bearer(plain)


@pytest.fixture
def reader() -> APIClient:
    _client, plain = api_client(scopes=["read"], name="Reporting")
    return bearer(plain)


@pytest.fixture
def carrier() -> APIClient:
    _client, plain = api_client(scopes=["tracking:write"], name="SF Express")
    return bearer(plain)


@pytest.fixture
def member(listing):
    """A supplier member (not the owner) of the listing's supplier."""
    return MembershipFactory(supplier=listing.supplier, role="staff").user


@pytest.fixture
def supplier_api(member) -> APIClient:
    return bearer(supplier_token(member))


@pytest.fixture
def staff_api() -> APIClient:
    user = UserFactory(username="orders-staff", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="orders", codename__in=["view_jitorder", "view_penalty"]
        )
    )
    caller = APIClient()
    caller.force_login(user)
    return caller


def order_body(listing: Listing, **fields: object) -> dict:
    return {"listing": listing.pk, "quantity": 3, "external_id": "SO-100", **fields}


def overdue_penalty(listing: Listing) -> Penalty:
    """A 1x penalty for an order unshipped 25 hours, assessed now by the sweep."""
    order = jit_order(listing, ordered_at=timezone.now() - 25 * H)
    sweep_jit_deadlines()
    return Penalty.objects.get(order=order)


# --- Creating orders: Idempotency-Key ---------------------------------------------------------


def test_an_order_is_created_with_its_supply_price_frozen_and_deadlines(storefront, listing):
    response = create(storefront, order_body(listing))
    assert response.status_code == 201, response.content
    body = response.json()
    order = JitOrder.objects.get()
    assert body["id"] == order.pk
    assert (body["status"], body["listing"], body["quantity"]) == (
        "awaiting_shipment",
        listing.pk,
        3,
    )
    assert (body["unit_supply_price"], body["goods_value"]) == ("20.00", "60.00")
    assert body["supplier"] == listing.supplier_id
    ordered_at = order.ordered_at
    assert body["deadline_24h"] == (ordered_at + 24 * H).isoformat().replace("+00:00", "Z")
    assert body["deadline_48h"] == (ordered_at + 48 * H).isoformat().replace("+00:00", "Z")
    assert Event.objects.filter(kind="order.created").count() == 1
    assert "Idempotent-Replayed" not in response.headers


def test_an_order_without_an_idempotency_key_is_refused(storefront, listing):
    body = assert_error(
        create(storefront, order_body(listing), key=None), 400, "idempotency_key_required"
    )
    assert "Idempotency-Key" in body["fields"]
    assert_error(create(storefront, order_body(listing), key="  "), 400, "idempotency_key_required")
    assert_error(
        create(storefront, order_body(listing), key="k" * 101), 400, "idempotency_key_invalid"
    )
    assert not JitOrder.objects.exists()


def test_the_same_key_and_body_replay_the_first_answer_and_create_nothing(storefront, listing):
    first = create(storefront, order_body(listing))
    events = Event.objects.count()
    # The same body with its keys in another order is the same body.
    again = storefront.post(
        ORDERS,
        f'{{"external_id": "SO-100", "quantity": 3,  "listing": {listing.pk}}}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key-1",
    )
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert JitOrder.objects.count() == 1
    assert Event.objects.count() == events
    stored = IdempotencyKey.objects.get()
    assert (stored.key, stored.response_status) == ("key-1", 201)


def test_the_same_key_with_another_body_is_refused(storefront, listing):
    create(storefront, order_body(listing))
    body = assert_error(
        create(storefront, order_body(listing, quantity=4)), 422, "idempotency_key_reused"
    )
    assert "Idempotency-Key" in body["fields"]
    assert JitOrder.objects.count() == 1


def test_keys_belong_to_each_client(storefront, listing):
    _client, plain = api_client(scopes=["orders:write"], name="Second storefront")
    create(storefront, order_body(listing))
    assert create(bearer(plain), order_body(listing)).status_code == 201
    assert JitOrder.objects.count() == 2


def test_a_refusal_is_not_stored_so_a_retry_is_evaluated_again(storefront, listing):
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.PAUSED)
    assert_error(create(storefront, order_body(listing)), 409, "listing_not_live")
    assert not IdempotencyKey.objects.exists()
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.LIVE)
    assert create(storefront, order_body(listing)).status_code == 201


def test_invalid_input_is_a_400_naming_the_field_and_stores_nothing(storefront, listing):
    body = assert_error(create(storefront, {"listing": listing.pk}), 400, "invalid")
    assert set(body["fields"]) == {"quantity", "external_id"}
    assert not IdempotencyKey.objects.exists()


def test_quantities_are_bounded_and_goods_value_must_fit(storefront, listing, settings):
    body = assert_error(create(storefront, order_body(listing, quantity=0)), 400, "invalid")
    assert list(body["fields"]) == ["quantity"]
    settings.JIT_MAX_UNITS_PER_ORDER = 100  # the service reads the setting on each order
    body = assert_error(
        create(storefront, order_body(listing, quantity=101)), 422, "invalid_quantity"
    )
    assert list(body["fields"]) == ["quantity"]
    settings.JIT_MAX_UNITS_PER_ORDER = 10000
    Listing.objects.filter(pk=listing.pk).update(supply_price_cny=Decimal("9999999999.99"))
    body = assert_error(
        create(storefront, order_body(listing, quantity=1000, external_id="SO-101")),
        422,
        "invalid_quantity",
    )
    assert list(body["fields"]) == ["quantity"]
    assert not JitOrder.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_requests_with_one_key_at_once_create_one_order(monkeypatch):
    listing = jit_listing()
    _client, plain = api_client(scopes=["orders:write"])
    real_create = order_services.jit_order_create

    def create_once_the_other_waits(**kwargs):
        # The first request holds its transaction open until the second's insert of the same
        # key is waiting on the unique constraint (not arriving after the commit).
        wait_until_blocked()
        return real_create(**kwargs)

    monkeypatch.setattr("orders.api.views.jit_order_create", create_once_the_other_waits)

    def post() -> tuple[int, bytes]:
        response = create(bearer(plain), order_body(listing), key="same")
        return response.status_code, response.content

    answers = run_in_threads(post, post)
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert answers[0][0] == 201
    assert JitOrder.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


# --- Scopes and refusals ----------------------------------------------------------------------


def test_creating_orders_needs_orders_write(reader, supplier_api, listing):
    for caller in (reader, supplier_api):
        body = assert_error(create(caller, order_body(listing)), 403, "permission_denied")
        assert "`orders:write`" in body["message"]
    assert not JitOrder.objects.exists()


def test_orders_need_credentials(api):
    assert_error(api.get(ORDERS), 401, "not_authenticated")


def test_an_order_on_a_listing_not_live_is_refused(storefront, listing):
    draft = ListingFactory(supplier=listing.supplier, is_jit=True, status=Listing.Status.DRAFT)
    assert_error(create(storefront, order_body(draft)), 409, "listing_not_live")


def test_an_order_on_a_listing_not_jit_is_refused(storefront, listing):
    stocked = ListingFactory(supplier=listing.supplier, is_jit=False, status=Listing.Status.LIVE)
    assert_error(create(storefront, order_body(stocked)), 422, "listing_not_jit")


def test_an_order_is_refused_while_the_suppliers_jit_is_paused(storefront, settings):
    # Penalties take the deposit below the minimum: the sweep pauses the supplier's JIT.
    settings.JIT_MIN_DEPOSIT_CNY = Decimal("5000.00")
    listing = jit_listing(deposit="5010.00", price="20.00")
    jit_order(listing, ordered_at=timezone.now() - 25 * H, quantity=1)
    sweep_jit_deadlines()
    assert Supplier.objects.get(pk=listing.supplier_id).jit_status == Supplier.JitStatus.PAUSED
    body = assert_error(create(storefront, order_body(listing)), 409, "supplier_jit_paused")
    assert body["message"]
    assert JitOrder.objects.count() == 1


def test_an_unknown_listing_is_named(storefront):
    body = assert_error(
        create(storefront, {"listing": 999999, "quantity": 1, "external_id": "x"}),
        422,
        "listing_not_found",
    )
    assert "listing" in body["fields"]


# --- Reading orders ---------------------------------------------------------------------------


def test_a_supplier_reads_its_to_ship_queue_by_deadline(
    supplier_api, member, listing, rival_listing
):
    now = timezone.now()
    later = jit_order(listing, ordered_at=now - 2 * H)
    sooner = jit_order(listing, ordered_at=now - 20 * H)
    shipped = jit_order(listing, ordered_at=now - 30 * H)
    order_ship(shipped, waybill=WAYBILL, actor=member)
    theirs = jit_order(rival_listing, ordered_at=now - 25 * H)
    queue = walk(supplier_api, f"{ORDERS}?status=awaiting_shipment")
    assert ids(queue) == [sooner.pk, later.pk]
    assert ids(walk(supplier_api, ORDERS)) == [shipped.pk, sooner.pk, later.pk]
    assert supplier_api.get(f"{ORDERS}{sooner.pk}/").json()["id"] == sooner.pk
    assert_error(supplier_api.get(f"{ORDERS}{theirs.pk}/"), 404, "not_found")
    # A supplier filter cannot reach another supplier's rows.
    assert walk(supplier_api, f"{ORDERS}?supplier={rival_listing.supplier_id}") == []


def test_integrators_with_read_and_staff_see_every_order(reader, staff_api, listing, rival_listing):
    mine = jit_order(listing)
    theirs = jit_order(rival_listing)
    for caller in (reader, staff_api):
        assert set(ids(walk(caller, ORDERS))) == {mine.pk, theirs.pk}
        rows = walk(caller, f"{ORDERS}?supplier={rival_listing.supplier_id}")
        assert ids(rows) == [theirs.pk]
        assert caller.get(f"{ORDERS}{theirs.pk}/").status_code == 200


def test_orders_filter_by_time(reader, listing):
    now = timezone.now()
    old = jit_order(listing, ordered_at=now - 30 * H)
    new = jit_order(listing, ordered_at=now - 1 * H)
    cut = (now - 10 * H).isoformat().replace("+00:00", "Z")
    assert ids(walk(reader, f"{ORDERS}?ordered_after={cut}")) == [new.pk]
    assert ids(walk(reader, f"{ORDERS}?ordered_before={cut}")) == [old.pk]


def test_a_carrier_without_read_cannot_list_orders(carrier):
    body = assert_error(carrier.get(ORDERS), 403, "permission_denied")
    assert "`read`" in body["message"]


def test_order_list_queries_do_not_grow(
    supplier_api, reader, listing, django_assert_max_num_queries
):
    jit_order(listing)
    counts = {}
    for name, caller in (("supplier", supplier_api), ("reader", reader)):
        with django_assert_max_num_queries(15) as few:
            assert caller.get(ORDERS).status_code == 200
        counts[name] = len(few.captured_queries)
    for _ in range(20):
        jit_order(listing)
    for name, caller in (("supplier", supplier_api), ("reader", reader)):
        with django_assert_max_num_queries(counts[name]):
            assert len(caller.get(ORDERS).json()["results"]) == 21


# --- Shipping ---------------------------------------------------------------------------------


def test_a_supplier_ships_an_order_with_its_waybill(supplier_api, listing):
    order = jit_order(listing)
    response = supplier_api.post(f"{ORDERS}{order.pk}/ship/", {"waybill": "sf1234567890123"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["waybill"]) == ("shipped", WAYBILL)
    assert body["shipped_at"] == body["shipment_recorded_at"]
    assert Event.objects.filter(kind="order.shipped").count() == 1


def test_a_wrong_waybill_is_refused_naming_the_field(supplier_api, listing):
    order = jit_order(listing)
    body = assert_error(
        supplier_api.post(f"{ORDERS}{order.pk}/ship/", {"waybill": "YT123"}), 422, "invalid_waybill"
    )
    assert list(body["fields"]) == ["waybill"]
    order.refresh_from_db()
    assert order.status == JitOrder.Status.AWAITING_SHIPMENT


def test_only_supplier_members_ship(storefront, listing):
    order = jit_order(listing)
    body = assert_error(
        storefront.post(f"{ORDERS}{order.pk}/ship/", {"waybill": WAYBILL}), 403, "permission_denied"
    )
    assert "`supplier`" in body["message"]


def test_many_orders_ship_at_once_or_none(supplier_api, listing):
    orders = [jit_order(listing) for _ in range(3)]
    rows = [{"id": order.pk, "waybill": f"SF12345678901{n}"} for n, order in enumerate(orders)]
    rows[2]["waybill"] = "SF12"
    body = assert_error(
        supplier_api.post(f"{ORDERS}ship/", {"orders": rows}, format="json"), 422, "invalid_waybill"
    )
    assert list(body["fields"]) == ["orders[2].waybill"]
    assert "SF12" in body["fields"]["orders[2].waybill"][0]
    assert not JitOrder.objects.filter(status=JitOrder.Status.SHIPPED).exists()
    rows[2]["waybill"] = "123456789012"
    response = supplier_api.post(f"{ORDERS}ship/", {"orders": rows}, format="json")
    assert response.status_code == 200, response.content
    assert [row["status"] for row in response.json()] == ["shipped"] * 3
    assert JitOrder.objects.filter(status=JitOrder.Status.SHIPPED).count() == 3


def test_shipping_many_names_malformed_rows(supplier_api, listing):
    order = jit_order(listing)
    body = assert_error(
        supplier_api.post(f"{ORDERS}ship/", {"orders": [{"id": order.pk}]}, format="json"),
        400,
        "invalid",
    )
    assert list(body["fields"]) == ["orders[0].waybill"]
    rows = [{"id": order.pk, "waybill": WAYBILL}] * 2
    body = assert_error(
        supplier_api.post(f"{ORDERS}ship/", {"orders": rows}, format="json"), 400, "invalid"
    )
    assert list(body["fields"]) == ["orders"]
    for rows in ([], [{"id": n, "waybill": WAYBILL} for n in range(1, 102)]):
        body = assert_error(
            supplier_api.post(f"{ORDERS}ship/", {"orders": rows}, format="json"), 400, "invalid"
        )
        assert list(body["fields"]) == ["orders"]


def test_a_supplier_declares_a_stockout_with_a_reason(supplier_api, listing):
    order = jit_order(listing)
    url = f"{ORDERS}{order.pk}/stockout/"
    body = assert_error(supplier_api.post(url, {"reason": " "}), 422, "reason_required")
    assert list(body["fields"]) == ["reason"]
    response = supplier_api.post(url, {"reason": "Mould broke"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["stockout_reason"]) == (
        "failed_stockout",
        "Mould broke",
    )
    ship = supplier_api.post(f"{ORDERS}{order.pk}/ship/", {"waybill": WAYBILL})
    assert_error(ship, 409, "invalid_transition")


def test_another_suppliers_orders_cannot_be_moved(supplier_api, rival_listing):
    theirs = jit_order(rival_listing)
    assert_error(
        supplier_api.post(f"{ORDERS}{theirs.pk}/ship/", {"waybill": WAYBILL}), 404, "not_found"
    )
    assert_error(
        supplier_api.post(f"{ORDERS}{theirs.pk}/stockout/", {"reason": "x"}), 404, "not_found"
    )
    rows = [{"id": theirs.pk, "waybill": WAYBILL}]
    body = assert_error(
        supplier_api.post(f"{ORDERS}ship/", {"orders": rows}, format="json"), 404, "not_found"
    )
    assert list(body["fields"]) == ["orders[0].id"]
    theirs.refresh_from_db()
    assert theirs.status == JitOrder.Status.AWAITING_SHIPMENT


# --- Cancelling -------------------------------------------------------------------------------


def placed(storefront: APIClient, listing: Listing, key: str = "key-1") -> int:
    response = create(storefront, order_body(listing, external_id=key), key=key)
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_the_storefront_cancels_its_order_before_shipment(storefront, listing):
    pk = placed(storefront, listing)
    url = f"{ORDERS}{pk}/cancel/"
    response = storefront.post(url, {"reason": "The consumer cancelled"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    order = JitOrder.objects.get(pk=pk)
    assert order.cancelled_at is not None
    assert not Penalty.objects.filter(order=order).exists()
    event = Event.objects.get(kind="order.cancelled", subject_id=str(pk))
    assert event.reason == "The consumer cancelled"
    # A retry answers the order as it stands.
    again = storefront.post(url, {"reason": "The consumer cancelled"})
    assert (again.status_code, again.json()["status"]) == (200, "cancelled")
    assert Event.objects.filter(kind="order.cancelled").count() == 1


def test_an_order_shipped_cannot_be_cancelled(storefront, listing, member):
    pk = placed(storefront, listing)
    order_ship(JitOrder.objects.get(pk=pk), waybill=WAYBILL, actor=member)
    body = assert_error(
        storefront.post(f"{ORDERS}{pk}/cancel/", {"reason": "Too late"}),
        409,
        "invalid_transition",
    )
    assert body["message"]
    assert JitOrder.objects.get(pk=pk).status == JitOrder.Status.SHIPPED


def test_cancelling_needs_a_reason(storefront, listing):
    pk = placed(storefront, listing)
    body = assert_error(storefront.post(f"{ORDERS}{pk}/cancel/", {"reason": ""}), 400, "invalid")
    assert list(body["fields"]) == ["reason"]
    assert JitOrder.objects.get(pk=pk).status == JitOrder.Status.AWAITING_SHIPMENT


def test_a_supplier_or_a_reader_cannot_cancel(storefront, reader, supplier_api, listing):
    pk = placed(storefront, listing)
    for caller in (reader, supplier_api):
        body = assert_error(
            caller.post(f"{ORDERS}{pk}/cancel/", {"reason": "x"}), 403, "permission_denied"
        )
        assert "`orders:write`" in body["message"]
    assert JitOrder.objects.get(pk=pk).status == JitOrder.Status.AWAITING_SHIPMENT


def test_another_clients_order_is_not_found(storefront, listing):
    pk = placed(storefront, listing)
    _client, plain = api_client(scopes=["read", "orders:write"], name="Another storefront")
    other = bearer(plain)
    assert_error(other.post(f"{ORDERS}{pk}/cancel/", {"reason": "x"}), 404, "not_found")
    assert_error(other.post(f"{ORDERS}999999/cancel/", {"reason": "x"}), 404, "not_found")
    assert JitOrder.objects.get(pk=pk).status == JitOrder.Status.AWAITING_SHIPMENT


def test_cancelling_is_documented():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/jit-orders/{id}/cancel/"]["post"]
    assert operation["operationId"] == "jit_orders_cancel"
    assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
    body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/JitOrderCancelInputRequest")


# --- Carrier scans ----------------------------------------------------------------------------


def scan(carrier: APIClient, at, waybill: str = WAYBILL):
    body = {"waybill": waybill, "scanned_at": at.isoformat(), "event": "picked_up"}
    return carrier.post(SCANS, body, format="json")


def test_the_first_scan_is_the_shipment_time_and_later_ones_change_nothing(
    carrier, member, listing
):
    order = jit_order(listing, ordered_at=timezone.now() - 10 * H)
    order_ship(order, waybill=WAYBILL, actor=member)
    first = timezone.now().replace(microsecond=0) - 2 * H
    official = first.isoformat().replace("+00:00", "Z")
    response = scan(carrier, first)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "order": order.pk,
        "orders": [order.pk],
        "waybill": WAYBILL,
        "first_scan_at": official,
        "shipped_at": official,
    }
    for at in (first, first + H):  # a duplicate, then a later scan
        assert scan(carrier, at).json()["shipped_at"] == official
    order.refresh_from_db()
    assert order.first_scan_at == first
    assert Event.objects.filter(kind="order.scanned").count() == 1


def test_an_earlier_scan_arriving_late_replaces_the_first(carrier, member, listing):
    order = jit_order(listing, ordered_at=timezone.now() - 10 * H)
    order_ship(order, waybill=WAYBILL, actor=member)
    later = timezone.now().replace(microsecond=0) - H
    scan(carrier, later)
    earlier = later - 3 * H
    response = scan(carrier, earlier)
    assert response.json()["shipped_at"] == earlier.isoformat().replace("+00:00", "Z")
    order.refresh_from_db()
    assert order.shipped_at == earlier


def test_one_parcel_of_several_orders_is_scanned_once_for_all(carrier, member, listing):
    orders = [jit_order(listing, ordered_at=timezone.now() - 10 * H) for _ in range(2)]
    for order in orders:
        order_ship(order, waybill=WAYBILL, actor=member)
    at = timezone.now().replace(microsecond=0) - H
    response = scan(carrier, at)
    assert response.status_code == 200, response.content
    assert response.json()["orders"] == [o.pk for o in orders]
    for order in orders:
        order.refresh_from_db()
        assert order.first_scan_at == at
    assert Event.objects.filter(kind="order.scanned").count() == 2


def test_scans_in_the_future_or_before_the_order_are_refused(carrier, member, listing):
    ordered = timezone.now() - 10 * H
    order = jit_order(listing, ordered_at=ordered)
    order_ship(order, waybill=WAYBILL, actor=member)
    for at, code in (
        (timezone.now() + H, "scan_in_future"),
        (ordered - timedelta(minutes=1), "scan_before_order"),
    ):
        body = assert_error(scan(carrier, at), 422, code)
        assert list(body["fields"]) == ["scanned_at"]
    order.refresh_from_db()
    assert order.first_scan_at is None
    # A clock a minute ahead of ours is within the allowed skew.
    assert scan(carrier, timezone.now() + timedelta(minutes=1)).status_code == 200


def test_scans_of_unknown_or_malformed_waybills(carrier):
    assert_error(scan(carrier, timezone.now(), "SF999999999999"), 404, "unknown_waybill")
    body = assert_error(scan(carrier, timezone.now(), "nope"), 422, "invalid_waybill")
    assert list(body["fields"]) == ["waybill"]


def test_scans_need_tracking_write(storefront, supplier_api):
    for caller in (storefront, supplier_api):
        body = assert_error(scan(caller, timezone.now()), 403, "permission_denied")
        assert "`tracking:write`" in body["message"]


# --- Penalties --------------------------------------------------------------------------------


def test_a_supplier_reads_its_penalties_with_the_evidence(supplier_api, listing, rival_listing):
    penalty = overdue_penalty(listing)
    theirs = overdue_penalty(rival_listing)
    rows = walk(supplier_api, PENALTIES)
    assert ids(rows) == [penalty.pk]
    row = rows[0]
    assert (row["tier"], row["multiple"], row["amount"]) == ("late_24h", "1.00", "40.00")
    assert row["rule_version"] == penalty.rule_version
    assert row["evidence"]
    assert row["evidence"] == penalty.evidence
    assert (row["status"], row["appeal"]) == ("assessed", None)
    assert supplier_api.get(f"{PENALTIES}{penalty.pk}/").json() == row
    assert_error(supplier_api.get(f"{PENALTIES}{theirs.pk}/"), 404, "not_found")
    appeal = supplier_api.post(f"{PENALTIES}{theirs.pk}/appeal/", {"reason": "x"})
    assert_error(appeal, 404, "not_found")


def test_staff_read_every_penalty_and_integrators_none(staff_api, reader, listing, rival_listing):
    penalties = {overdue_penalty(listing).pk, overdue_penalty(rival_listing).pk}
    assert set(ids(walk(staff_api, PENALTIES))) == penalties
    assert len(walk(staff_api, f"{PENALTIES}?supplier={listing.supplier_id}")) == 1
    assert_error(reader.get(PENALTIES), 403, "permission_denied")


def test_an_appeal_within_the_window(supplier_api, listing):
    penalty = overdue_penalty(listing)
    url = f"{PENALTIES}{penalty.pk}/appeal/"
    with time_machine.travel(penalty.assessed_at + timedelta(days=7) - timedelta(minutes=1)):
        response = supplier_api.post(url, {"reason": "The carrier picked up late."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "appealed"
    assert body["appeal"]["reason"] == "The carrier picked up late."
    assert_error(supplier_api.post(url, {"reason": "Again"}), 409, "already_appealed")


def test_an_appeal_after_7_days_is_refused(supplier_api, listing):
    penalty = overdue_penalty(listing)
    url = f"{PENALTIES}{penalty.pk}/appeal/"
    with time_machine.travel(penalty.assessed_at + timedelta(days=7, seconds=1)):
        assert_error(supplier_api.post(url, {"reason": "Late"}), 409, "appeal_window_closed")
    penalty.refresh_from_db()
    assert penalty.status == Penalty.Status.ASSESSED


def test_an_appeal_needs_a_reason(supplier_api, listing):
    penalty = overdue_penalty(listing)
    body = assert_error(
        supplier_api.post(f"{PENALTIES}{penalty.pk}/appeal/", {"reason": ""}),
        422,
        "reason_required",
    )
    assert list(body["fields"]) == ["reason"]


def test_penalty_list_queries_do_not_grow(
    supplier_api, staff_api, listing, django_assert_max_num_queries
):
    overdue_penalty(listing)
    counts = {}
    for name, caller in (("supplier", supplier_api), ("staff", staff_api)):
        with django_assert_max_num_queries(15) as few:
            assert caller.get(PENALTIES).status_code == 200
        counts[name] = len(few.captured_queries)
    for n in range(10):
        penalty = overdue_penalty(listing)
        if n % 2:
            supplier_api.post(f"{PENALTIES}{penalty.pk}/appeal/", {"reason": "Late pickup"})
    for name, caller in (("supplier", supplier_api), ("staff", staff_api)):
        with django_assert_max_num_queries(counts[name]):
            assert len(caller.get(PENALTIES).json()["results"]) == 11


def test_old_idempotency_keys_are_purged_daily(storefront, listing, settings):
    from orders.services.idempotency import purge_idempotency_keys

    assert create(storefront, order_body(listing)).status_code == 201
    key = IdempotencyKey.objects.get()
    assert purge_idempotency_keys(now=key.created_at + timedelta(days=6)) == 0
    assert purge_idempotency_keys(now=key.created_at + timedelta(days=7, seconds=1)) == 1
    assert not IdempotencyKey.objects.exists()
