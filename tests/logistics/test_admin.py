"""The consignment-inventory screens of the admin: every page renders for an operator; the
custom forms and actions act through the services and show their refusals on the form or as a
message; compliance inspects and finance does not; list pages keep a constant number of
queries; the dashboard counts inbound work and stock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from logistics.models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    SamplingState,
    StockingOrder,
    StockLot,
    StockMovement,
    StockPosition,
    Warehouse,
)
from logistics.selectors import pickup_today
from logistics.services.inbound.inspection import inspection_plan
from logistics.services.inbound.notices import inbound_create
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.stocking import (
    stocking_order_accept,
    stocking_order_issue,
    stocking_order_transition,
)
from logistics.services.overstock import offer_overstock, overstock_leave
from marketplace.models import Event
from orders.models import ConsumerOrder, Payable
from orders.services.consumer import consumer_order_create, consumer_order_fulfil
from tests.factories.accounts import UserFactory
from tests.factories.logistics import (
    WarehouseFactory,
    member_of,
    receive_stock,
    shipment_for,
    stocked_listing,
)

pytestmark = pytest.mark.django_db

A = "/admin/logistics"
LISTS = [
    f"{A}/warehouse/",
    f"{A}/pickupcluster/",
    f"{A}/pickupslot/",
    f"{A}/stockingorder/",
    f"{A}/inboundshipment/",
    f"{A}/inboundline/",
    f"{A}/inspection/",
    f"{A}/samplingstate/",
    f"{A}/stockposition/",
    f"{A}/overstockoffer/",
    "/admin/orders/consumerorder/",
    "/admin/orders/payable/",
]
CLUSTER = "Chenghai toys"  # the cluster of funded_supplier's factory


def act(client, url, action, rows, **fields):
    response = client.post(
        url,
        {"action": action, "_selected_action": [row.pk for row in rows], **fields},
        follow=True,
    )
    assert response.redirect_chain, response.content.decode()[:500]
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def messages_of(response):
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def sold(listing, actor, n: int = 2, external_id: str = "SHOP-1") -> ConsumerOrder:
    order = consumer_order_create(
        listing_id=listing.pk, quantity=n, external_id=external_id, market="US", actor=actor
    )
    return consumer_order_fulfil(order, actor=actor)


def aged_offer(listing, member) -> OverstockOffer:
    """An accepted lot left unsold for 100 days, offered back and left for a markdown."""
    StockLot.objects.filter(position__listing=listing).update(
        received_at=timezone.now() - timedelta(days=100)
    )
    offer_overstock()
    offer = OverstockOffer.objects.get(lot__position__listing=listing)
    return overstock_leave(offer, actor=member)


def grow(k: int, actor, start: int = 0) -> None:
    """k more rows in every list."""
    for n in range(start, start + k):
        listing = stocked_listing(6)
        member = member_of(listing)
        sold(listing, actor, 1, external_id=f"SHOP-{n}")
        aged_offer(listing, member)
        shipment_for(listing, 3)
        cluster = PickupCluster.objects.create(name=f"cluster {n}", province="Guangdong")
        PickupSlot.objects.create(
            cluster=cluster,
            date=pickup_today(),
            window="09:00-12:00",
            warehouse=WarehouseFactory(),
        )


# --- Every page renders --------------------------------------------------------------------------


def test_every_page_renders_for_an_operator(client, operator):
    grow(1, operator)
    listing = stocked_listing(4)
    arrived = shipment_for(listing, 5)
    counted = arrived.lines.get()
    line_count(counted, received=5, damaged=0, actor=operator)
    state = SamplingState.objects.first()
    client.force_login(operator)
    for url in LISTS:
        assert client.get(url).status_code == 200, url
    objects = {
        "warehouse": Warehouse.objects.first(),
        "pickupcluster": PickupCluster.objects.first(),
        "pickupslot": PickupSlot.objects.first(),
        "stockingorder": StockingOrder.objects.first(),
        "inboundshipment": arrived,
        "inboundline": counted,
        "inspection": Inspection.objects.first(),
        "samplingstate": state,
        "stockposition": StockPosition.objects.get(listing=listing),
        "overstockoffer": OverstockOffer.objects.first(),
    }
    for model, row in objects.items():
        assert client.get(f"{A}/{model}/{row.pk}/change/").status_code == 200, model
    order = ConsumerOrder.objects.first()
    assert client.get(f"/admin/orders/consumerorder/{order.pk}/change/").status_code == 200
    payable = Payable.objects.first()
    assert client.get(f"/admin/orders/payable/{payable.pk}/change/").status_code == 200
    for url in (
        f"{A}/stockingorder/add/",
        f"{A}/warehouse/add/",
        f"{A}/pickupslot/add/",
        f"{A}/inboundline/{counted.pk}/count/",
        f"{A}/inboundline/{counted.pk}/inspect/",
        f"{A}/inboundshipment/{arrived.pk}/pickup/",
        f"{A}/samplingstate/{state.pk}/restart/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_list_pages_keep_a_constant_number_of_queries(
    client, operator, django_assert_max_num_queries
):
    grow(2, operator)
    client.force_login(operator)
    few = {}
    for url in LISTS:
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        few[url] = len(captured.captured_queries)
    grow(8, operator, start=2)
    assert ConsumerOrder.objects.count() == 10
    for url in LISTS:
        with django_assert_max_num_queries(few[url]):
            assert client.get(url).status_code == 200, url


# --- Stocking orders -----------------------------------------------------------------------------


def test_the_issue_form_issues_through_the_service(client, operator):
    listing = stocked_listing()
    hub = WarehouseFactory()
    client.force_login(operator)
    response = client.post(
        f"{A}/stockingorder/add/",
        {"listing": listing.pk, "quantity": 40, "warehouse": hub.pk, "urgent": "on", "_save": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    order = StockingOrder.objects.get()
    assert (order.quantity, order.urgent, order.issued_by) == (40, True, operator)
    assert order.expires_at - order.issued_at == timedelta(days=7)
    assert Event.objects.filter(kind="stocking.issued", actor=operator).exists()
    page = client.get(f"{A}/stockingorder/").content.decode()
    assert f"{listing.product.title_en} (#{listing.pk})" in page


def test_the_stocking_cap_is_shown_on_the_quantity_field(client, operator, settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing(new=True)
    hub = WarehouseFactory()
    client.force_login(operator)
    response = client.post(
        f"{A}/stockingorder/add/",
        {"listing": listing.pk, "quantity": 31, "warehouse": hub.pk, "_save": "1"},
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["quantity"] == ["At most 30."]
    assert "at most 30 units" in " ".join(errors["__all__"])
    assert not StockingOrder.objects.exists()


def test_cancel_needs_a_reason_and_goes_through_the_service(client, operator):
    listing = stocked_listing()
    order = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=operator)
    client.force_login(operator)
    url = f"{A}/stockingorder/"
    # The service refuses it (reason_required); the admin reports the refusal for the row.
    assert ("error", f"{order}: Say why the order is cancelled.") in act(
        client, url, "cancel", [order]
    )
    order.refresh_from_db()
    assert order.status == "issued"
    messages = act(client, url, "cancel", [order], reason="Listing withdrawn")
    assert ("success", "1 stocking order cancelled.") in messages
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("cancelled", "Listing withdrawn")
    events = Event.objects.filter(kind="stocking.cancelled")
    assert events.count() == 1
    # Cancelling it again is a retry: nothing changes, nothing more is recorded.
    act(client, url, "cancel", [order], reason="twice")
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("cancelled", "Listing withdrawn")
    assert events.count() == 1
    issued = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=operator)
    stocking_order_transition(issued, "lapsed", actor=None)
    refused = act(client, url, "cancel", [issued], reason="late")
    assert any(
        level == "error" and "cannot move from Lapsed to Cancelled" in text
        for level, text in refused
    )


# --- Inbound shipments ---------------------------------------------------------------------------


def test_the_shipment_buttons_move_it_through_the_service(client, operator):
    shipment = shipment_for(stocked_listing(), 5, status="in_transit")
    client.force_login(operator)
    change = f"{A}/inboundshipment/{shipment.pk}/change/"
    page = client.get(change).content.decode()
    assert 'data-move="arrived"' in page
    assert 'data-move="closed"' not in page
    assert 'name="_save"' not in page  # never edited
    response = client.post(f"{A}/inboundshipment/{shipment.pk}/move/arrived/", follow=True)
    shipment.refresh_from_db()
    assert shipment.status == "arrived"
    assert ("success", "1 shipment is now arrived.") in messages_of(response)
    refused = client.post(f"{A}/inboundshipment/{shipment.pk}/move/received/", follow=True)
    assert (
        "error",
        f"{shipment}: This inbound shipment cannot move from Arrived to Received.",
    ) in messages_of(refused)
    shipment.refresh_from_db()
    assert shipment.status == "arrived"
    assert client.get(f"{A}/inboundshipment/{shipment.pk}/move/arrived/").status_code == 405


def test_the_list_actions_move_shipments(client, operator):
    moving = shipment_for(stocked_listing(), 5, status="in_transit")
    booked = shipment_for(stocked_listing(), 5, status="booked")
    client.force_login(operator)
    url = f"{A}/inboundshipment/"
    messages = act(client, url, "mark_arrived", [moving, booked])
    assert ("success", "1 shipment is now arrived.") in messages
    assert ("error", f"{booked}: Say why the shipment is cancelled.") in act(
        client, url, "cancel", [booked]
    )
    booked.refresh_from_db()
    assert booked.status == "booked"
    act(client, url, "cancel", [booked], reason="Supplier cannot ship")
    booked.refresh_from_db()
    assert booked.status == "cancelled"


def pickup_shipment(listing, member) -> InboundShipment:
    order = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=None)
    stocking_order_accept(order, actor=member)
    return inbound_create(order, actor=member, pickup=True)


def test_a_pickup_slot_is_chosen_among_the_clusters_upcoming_slots(client, operator):
    cluster = PickupCluster.objects.create(name=CLUSTER, province="Guangdong")
    listing = stocked_listing()
    shipment = pickup_shipment(listing, member_of(listing))
    hub = shipment.warehouse
    elsewhere = PickupCluster.objects.create(name="Yiwu", province="Zhejiang")
    today = pickup_today()
    upcoming = PickupSlot.objects.create(cluster=cluster, date=today, window="AM", warehouse=hub)
    to_another_hub = PickupSlot.objects.create(
        cluster=cluster, date=today, window="PM", warehouse=WarehouseFactory()
    )
    past = PickupSlot.objects.create(
        cluster=cluster, date=today - timedelta(days=1), window="AM", warehouse=hub
    )
    other = PickupSlot.objects.create(cluster=elsewhere, date=today, window="AM", warehouse=hub)
    client.force_login(operator)
    page = client.get(f"{A}/inboundshipment/{shipment.pk}/change/").content.decode()
    assert 'data-testid="pickup-form"' in page
    # The slots offered: the pickup form's options only (other ids on the page may coincide).
    form = page.split('data-testid="pickup-form"', 1)[1].split("</form>", 1)[0]
    assert f'value="{upcoming.pk}"' in form
    assert f'value="{past.pk}"' not in form
    assert f'value="{other.pk}"' not in form
    assert f'value="{to_another_hub.pk}"' not in form
    url = f"{A}/inboundshipment/{shipment.pk}/pickup/"
    assert client.post(url, {"pickup_slot": past.pk}).status_code == 200  # not a choice
    response = client.post(url, {"pickup_slot": upcoming.pk})
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert (shipment.pickup_slot, shipment.status) == (upcoming, "booked")


def test_a_pickup_refused_by_the_service_is_shown_on_the_form(client, operator):
    shipment = shipment_for(stocked_listing(), 5, status="draft")  # a carrier, no pickup asked
    cluster = PickupCluster.objects.create(name=CLUSTER, province="Guangdong")
    slot = PickupSlot.objects.create(
        cluster=cluster, date=pickup_today(), window="AM", warehouse=shipment.warehouse
    )
    client.force_login(operator)
    response = client.post(f"{A}/inboundshipment/{shipment.pk}/pickup/", {"pickup_slot": slot.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["pickup_slot"] == ["Not this supplier's cluster."]
    shipment.refresh_from_db()
    assert shipment.pickup_slot is None


# --- Receiving and inspection --------------------------------------------------------------------


def test_the_count_form_counts_through_the_service(client, operator):
    shipment = shipment_for(stocked_listing(), 6)
    line = shipment.lines.get()
    client.force_login(operator)
    url = f"{A}/inboundline/{line.pk}/count/"
    refused = client.post(url, {"received": 4, "damaged": 5})
    assert refused.status_code == 200
    assert refused.context["form"].errors["damaged"] == ["Between 0 and the received count."]
    response = client.post(url, {"received": 7, "damaged": 1}, follow=True)
    assert ("success", "Line counted: 7 received, 1 damaged, +1.") in messages_of(response)
    line.refresh_from_db()
    shipment.refresh_from_db()
    assert (line.received, line.damaged, shipment.status) == (7, 1, "receiving")
    page = client.get(f"{A}/inboundshipment/{shipment.pk}/change/").content.decode()
    assert "+1" in page  # over by one


def test_the_count_form_refuses_a_count_beyond_an_integer(client, operator):
    line = shipment_for(stocked_listing(), 5).lines.get()
    client.force_login(operator)
    refused = client.post(
        f"{A}/inboundline/{line.pk}/count/", {"received": 3_000_000_000, "damaged": 0}
    )
    assert refused.status_code == 200
    assert "received" in refused.context["form"].errors
    line.refresh_from_db()
    assert line.received is None


def test_the_count_form_asks_for_a_quantity_in_both_languages(client, operator):
    """The received field is a number of units: in Chinese not the time of receipt (收货时间)."""
    line = shipment_for(stocked_listing(), 6).lines.get()
    client.force_login(operator)
    url = f"{A}/inboundline/{line.pk}/count/"
    label = re.compile(r'<label[^>]*for="id_received">([^<]*)</label>')
    assert label.search(client.get(url).content.decode()).group(1) == "Units received:"
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert label.search(chinese).group(1) == "实收数量:"


def plan_cells(page: str) -> dict[str, str]:
    return {
        name: re.sub(r"<[^>]+>|\s+", " ", value).strip()
        for name, value in re.findall(r'data-plan="(\w+)">(.*?)</(?:td|b|span)>', page, re.S)
    }


def test_the_inspect_page_shows_the_plan_then_records_the_result(client, operator):
    shipment = shipment_for(stocked_listing(), 60)
    line = shipment.lines.get()
    client.force_login(operator)
    url = f"{A}/inboundline/{line.pk}/inspect/"
    assert 'data-testid="not-counted"' in client.get(url).content.decode()
    line_count(line, received=60, damaged=2, actor=operator)
    plan = inspection_plan(line).plan
    page = client.get(url).content.decode()
    cells = plan_cells(page)
    assert cells["severity"] == "normal"
    assert cells["why"] == "normal inspection"
    assert cells["lot"] == "58"
    assert cells["aql"] == plan.aql == "2.5"
    assert cells["letter"] == plan.letter == "E"
    assert cells["n"] == str(plan.sample_size)
    assert (cells["ac"], cells["re"]) == (str(plan.accept), str(plan.reject))
    assert 'data-testid="inspect-form"' in page
    too_many = client.post(url, {"defects": plan.sample_size + 1})
    assert too_many.context["form"].errors["defects"] == [f"Between 0 and {plan.sample_size}."]
    response = client.post(url, {"defects": plan.reject, "notes": "Loose parts"}, follow=True)
    assert ("warning", "Lot Rejected.") in messages_of(response)
    inspection = Inspection.objects.get(line=line)
    assert (inspection.result, inspection.inspector, inspection.notes) == (
        "rejected",
        operator,
        "Loose parts",
    )
    page = response.content.decode()
    assert 'data-result="rejected"' in page
    assert 'data-testid="inspect-form"' not in page


def test_a_small_lot_is_inspected_whole(client, operator):
    shipment = shipment_for(stocked_listing(), 3)
    line = shipment.lines.get()
    line_count(line, received=3, damaged=0, actor=operator)
    client.force_login(operator)
    page = client.get(f"{A}/inboundline/{line.pk}/inspect/").content.decode()
    assert "inspect every unit (3)" in plan_cells(page)["n"]


def test_compliance_inspects_finance_and_staff_without_a_role_do_not(
    client, operator, compliance_officer, finance_user
):
    shipment = shipment_for(stocked_listing(), 5)
    line = shipment.lines.get()
    line_count(line, received=5, damaged=0, actor=operator)
    url = f"{A}/inboundline/{line.pk}/inspect/"
    nobody = UserFactory(is_staff=True)
    for user in (finance_user, nobody):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"defects": 0}).status_code == 403
        assert client.get(f"{A}/inboundline/{line.pk}/count/").status_code == 403
    client.force_login(nobody)
    for page in LISTS:
        assert client.get(page).status_code == 403, page
    client.force_login(compliance_officer)
    assert client.get(f"{A}/inboundline/{line.pk}/count/").status_code == 403  # operators count
    assert client.get(url).status_code == 200
    assert client.post(url, {"defects": 0}).status_code == 302
    assert Inspection.objects.get(line=line).inspector == compliance_officer


def discontinued(listing) -> SamplingState:
    return SamplingState.objects.create(
        supplier=listing.supplier,
        product=listing.product,
        severity="discontinued",
        reason="5 lots not accepted on tightened inspection",
    )


def test_a_discontinued_state_is_restarted_on_tightened(client, compliance_officer):
    listing = stocked_listing()
    state = discontinued(listing)
    shipment = shipment_for(listing, 5)
    line = shipment.lines.get()
    line_count(line, received=5, damaged=0, actor=compliance_officer)
    client.force_login(compliance_officer)
    inspect = client.get(f"{A}/inboundline/{line.pk}/inspect/").content.decode()
    assert 'data-testid="discontinued"' in inspect
    assert 'data-testid="inspect-form"' not in inspect
    listed = client.get(f"{A}/samplingstate/", {"severity__exact": "discontinued"})
    assert f"/samplingstate/{state.pk}/restart/" in listed.content.decode()
    change = client.get(f"{A}/samplingstate/{state.pk}/change/").content.decode()
    assert 'data-testid="restart-form"' in change
    url = f"{A}/samplingstate/{state.pk}/restart/"
    assert client.post(url, {"corrective_action": " "}).status_code == 200
    response = client.post(url, {"corrective_action": "New mould, 100% check"})
    assert response.status_code == 302
    state.refresh_from_db()
    assert state.severity == "tightened"
    assert Event.objects.filter(
        kind="inspection.severity_changed", reason="New mould, 100% check"
    ).exists()
    refused = client.post(url, {"corrective_action": "again"})
    assert refused.status_code == 200
    assert "Inspection is not discontinued." in refused.context["form"].non_field_errors()


def test_the_inspection_list_filters_by_result_and_severity(client, operator):
    accepted = receive_stock(stocked_listing(), 5, warehouse=WarehouseFactory())
    rejected = receive_stock(stocked_listing(), 5, warehouse=WarehouseFactory(), defects=3)
    assert rejected.result == "rejected"
    client.force_login(operator)
    page = client.get(f"{A}/inspection/", {"result__exact": "rejected"}).content.decode()
    assert f"/inspection/{rejected.pk}/change/" in page
    assert f"/inspection/{accepted.pk}/change/" not in page
    assert client.get(f"{A}/inspection/", {"severity": "normal"}).status_code == 200
    change = client.get(f"{A}/inspection/{accepted.pk}/change/").content.decode()
    assert 'name="_save"' not in change


# --- Stock ---------------------------------------------------------------------------------------


def test_stock_positions_are_read_only_with_their_latest_movements(client, operator):
    listing = stocked_listing(8)
    sold(listing, operator, 3)
    position = StockPosition.objects.get(listing=listing)
    client.force_login(operator)
    page = client.get(f"{A}/stockposition/").content.decode()
    assert f"{listing.product.title_en} (#{listing.pk})" in page
    change = client.get(f"{A}/stockposition/{position.pk}/change/").content.decode()
    assert "latest stock movements" in change.lower()
    assert "Receipt" in change
    assert "Sale" in change
    assert 'name="_save"' not in change
    assert 'name="movements-MAX_NUM_FORMS" value="0"' in change  # nothing to add
    assert client.get(f"{A}/stockposition/add/").status_code == 403
    assert client.post(f"{A}/stockposition/{position.pk}/delete/").status_code == 403
    assert client.get(f"{A}/stockmovement/").status_code == 404  # no screen of its own
    assert StockMovement.objects.filter(position=position).count() == 3


def test_the_markdown_action_records_the_decision(client, operator):
    listing = stocked_listing(4)
    offer = aged_offer(listing, member_of(listing))
    client.force_login(operator)
    url = f"{A}/overstockoffer/"
    refused = act(client, url, "record_markdown", [offer])
    assert any(level == "error" and "Say what markdown." in text for level, text in refused)
    messages = act(client, url, "record_markdown", [offer], note="-30% for 14 days")
    assert ("success", "1 markdown recorded.") in messages
    offer.refresh_from_db()
    assert (offer.status, offer.markdown_note) == ("marked_down", "-30% for 14 days")


# --- Consumer orders and payables ----------------------------------------------------------------


def test_consumer_orders_are_fulfilled_and_cancelled_through_the_services(client, operator):
    listing = stocked_listing(6)
    first, second = (
        consumer_order_create(
            listing_id=listing.pk, quantity=2, external_id=f"SHOP-{n}", market="US", actor=operator
        )
        for n in (1, 2)
    )
    client.force_login(operator)
    url = "/admin/orders/consumerorder/"
    assert ("success", "1 order fulfilled.") in act(client, url, "fulfil", [first])
    payable = Payable.objects.get(order=first)
    assert payable.amount == first.unit_supply_price * 2
    assert ("success", "1 order cancelled.") in act(client, url, "cancel_consumer_orders", [second])
    second.refresh_from_db()
    assert second.status == "cancelled"
    again = act(client, url, "fulfil", [second])
    assert any(
        level == "error" and "This consumer order cannot move from Cancelled to Fulfilled." in text
        for level, text in again
    )
    change = client.get(f"{url}{first.pk}/change/").content.decode()
    assert 'name="_save"' not in change


def test_finance_exports_payables_but_does_not_fulfil(client, operator, finance_user):
    listing = stocked_listing(4)
    order = sold(listing, operator, 2)
    reserved = consumer_order_create(
        listing_id=listing.pk, quantity=1, external_id="SHOP-2", market="US", actor=operator
    )
    client.force_login(finance_user)
    response = client.post(
        "/admin/orders/payable/",
        {"action": "export_csv", "_selected_action": [order.payable.pk]},
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0] == "recorded,consumer order,supplier,amount (CNY),status"
    assert f"#{order.pk}" in body
    assert "40.00" in body
    client.post(
        "/admin/orders/consumerorder/",
        {"action": "fulfil", "_selected_action": [reserved.pk]},
    )
    reserved.refresh_from_db()
    assert reserved.status == "reserved"


# --- Dashboard -----------------------------------------------------------------------------------


def figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert match, name
    return match.group(1)


def test_the_dashboard_counts_inbound_work_and_stock(client, operator):
    shipment_for(stocked_listing(), 4)  # arrived
    receive_stock(stocked_listing(), 5, warehouse=WarehouseFactory(), defects=3)  # rejected
    listing = stocked_listing(7)
    aged_offer(listing, member_of(listing))
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert figure(page, "inbound-arrived") == "1"
    assert figure(page, "inbound-in-transit") == "0"
    assert figure(page, "inbound-receiving") == "2"  # counted and inspected, not closed
    assert figure(page, "lots-rejected") == "1"
    assert figure(page, "units-on-hand") == "7"
    assert figure(page, "overstock-open") == "1"


def test_an_operator_writes_off_damaged_units_finance_cannot(client, operator, finance_user):
    from logistics.models import StockMovement, StockPosition

    listing = stocked_listing(10)
    position = StockPosition.objects.get(listing=listing)
    url = f"{A}/stockposition/{position.pk}/write-off/"
    client.force_login(operator)
    page = client.get(f"{A}/stockposition/{position.pk}/change/")
    assert 'data-testid="write-off-form"' in page.content.decode()
    too_many = client.post(url, {"quantity": 11, "reason": "Water damage"})
    assert too_many.status_code == 200
    assert "Only 10 available." in too_many.content.decode()
    done = client.post(url, {"quantity": 2, "reason": "Water damage"})
    assert done.status_code == 302
    position.refresh_from_db()
    assert (position.on_hand, position.available) == (8, 8)
    movement = StockMovement.objects.get(position=position, kind="write_off")
    assert (movement.on_hand, movement.reference) == (-2, "write-off: Water damage")
    client.force_login(finance_user)
    assert client.post(url, {"quantity": 1, "reason": "x"}).status_code == 403
    position.refresh_from_db()
    assert position.on_hand == 8
