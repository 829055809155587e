"""Consignment inventory in the portal: stocking orders (open first with their expiry countdown in
China time, accept, decline with a reason, send by carrier or circular pickup), inbound shipments
(discrepancies, lot inspections, book and cancel), the stock page (positions, ageing, payables,
consumer orders), payables and overstock offers. Isolation: another supplier's rows are absent
from every list and 404 on every address; list pages keep a constant number of queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing
from logistics.models import (
    InboundShipment,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    StockingOrder,
    StockLot,
    StockPosition,
    Warehouse,
)
from logistics.selectors import pickup_today
from logistics.services.inbound.inspection import line_inspect
from logistics.services.inbound.notices import inbound_create
from logistics.services.inbound.pickups import pickup_assign
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.stocking import (
    stocking_order_accept,
    stocking_order_issue,
    stocking_order_transition,
)
from logistics.services.overstock import offer_overstock
from marketplace.models import Event
from orders.models import ConsumerOrder
from orders.services.consumer import consumer_order_create, consumer_order_fulfil
from tests.factories.catalogue import ProductFactory
from tests.factories.logistics import (
    WarehouseFactory,
    position_of,
    receive_stock,
    shipment_for,
    stocked_listing,
)
from tests.factories.logistics import operator as make_operator
from tests.factories.suppliers import MembershipFactory
from tests.isolation import assert_ids_are_404, leaked

pytestmark = pytest.mark.django_db

# 2026-03-10 02:00 UTC is 10:00 in China.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


# --- Helpers (local to these tests) ------------------------------------------------------------


def issue(
    listing: Listing,
    quantity: int = 10,
    *,
    warehouse: Warehouse | None = None,
    urgent: bool = False,
    now: datetime | None = None,
) -> StockingOrder:
    return stocking_order_issue(
        listing,
        quantity=quantity,
        warehouse=warehouse or WarehouseFactory(),
        actor=None,
        urgent=urgent,
        now=now,
    )


def accepted(listing: Listing, member: User, quantity: int = 10) -> StockingOrder:
    order = issue(listing, quantity)
    stocking_order_accept(order, actor=member)
    return order


def sell(listing: Listing, quantity: int, external_id: str, *, fulfil: bool = True):
    order = consumer_order_create(
        listing_id=listing.pk,
        quantity=quantity,
        external_id=external_id,
        market="US",
        actor=make_operator(),
    )
    assert isinstance(order, ConsumerOrder)
    if fulfil:
        consumer_order_fulfil(order, actor=None)
    return order


def age_lots(listing: Listing, days: int) -> None:
    """Test data: the listing's lots were received `days` ago."""
    StockLot.objects.filter(position__listing=listing).update(
        received_at=timezone.now() - timedelta(days=days)
    )


def flashes(response) -> str:
    return " ".join(
        re.sub(r"<[^>]+>", "", m)
        for m in re.findall(
            r'<p class="flash[^"]*"[^>]*>(.*?)</p>', response.content.decode(), re.S
        )
    )


def row_ids(page: str, attribute: str) -> list[int]:
    return [int(pk) for pk in re.findall(rf'data-{attribute}="(\d+)"', page)]


@pytest.fixture
def listing():
    listing = stocked_listing()
    listing.product = ProductFactory(
        owner=listing.supplier, title_en="Harbour Kite", title_zh="海港风筝"
    )
    listing.save(update_fields=["product"])
    return listing


@pytest.fixture
def member(listing):
    return MembershipFactory(
        supplier=listing.supplier, role="owner", user__username="kiteowner"
    ).user


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


# --- Navigation ----------------------------------------------------------------------------------


def test_the_stock_entry_is_in_the_navigation_and_marks_its_sub_pages(signed_in):
    for name in ("stock", "stocking_orders", "shipments", "payables", "overstock_offers"):
        page = signed_in.get(reverse(f"portal:{name}")).content.decode()
        nav = page[page.index('<nav class="nav"') : page.index("</nav>")]
        assert f'href="{reverse("portal:stock")}" aria-current="page">Stock</a>' in nav, name


def test_the_pages_are_for_supplier_members_only(client, operator):
    assert client.get(reverse("portal:stock")).status_code == 302  # to the login page
    client.force_login(operator)
    assert client.get(reverse("portal:stocking_orders")).status_code == 403


# --- Stocking orders -----------------------------------------------------------------------------


def test_stocking_orders_open_first_soonest_expiry_on_top_with_countdowns(signed_in, listing):
    with time_machine.travel(NOW, tick=False):
        normal = issue(listing, 10)
        urgent = issue(listing, 5, urgent=True)
        soon = issue(listing, 3, now=NOW - 13 * DAY)
        declined = issue(listing, 4, now=NOW - 2 * DAY)
        stocking_order_transition(declined, "declined", actor=None, reason="no capacity")
        page = signed_in.get(reverse("portal:stocking_orders")).content.decode()
    assert row_ids(page, "stocking-order") == [soon.pk, urgent.pk, normal.pk, declined.pk]
    marks = {
        int(pk): mark
        for mark, pk in re.findall(r'<tr class="([^"]*)" data-stocking-order="(\d+)"', page)
    }
    assert marks == {soon.pk: "row-risk", urgent.pk: "", normal.pk: "", declined.pk: ""}
    # The expiry in China time, and the time left at loading for the script to tick on.
    assert 'data-deadline="2026-03-24T10:00:00+08:00"' in page  # normal: 14 days
    assert ">14 d 00:00:00<" in page
    assert ">7 d 00:00:00<" in page  # urgent
    assert ">1 d 00:00:00<" in page  # soon
    assert "2026-03-17 10:00" in page
    assert page.count('data-testid="expiry-countdown"') == 3  # none on the declined order


def test_stocking_orders_filter_by_status(signed_in, listing):
    issued = issue(listing)
    declined = issue(listing)
    stocking_order_transition(declined, "declined", actor=None, reason="no")
    page = signed_in.get(reverse("portal:stocking_orders"), {"status": "declined"}).content.decode()
    assert row_ids(page, "stocking-order") == [declined.pk]
    assert issued.pk not in row_ids(page, "stocking-order")
    page = signed_in.get(reverse("portal:stocking_orders"), {"status": "nonsense"}).content.decode()
    assert set(row_ids(page, "stocking-order")) == {issued.pk, declined.pk}


def test_accept_a_stocking_order_then_send_is_offered(signed_in, listing, member):
    order = issue(listing, 12)
    page = signed_in.get(reverse("portal:stocking_order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="accept"' in page
    assert 'data-testid="decline-form"' in page
    assert 'data-testid="send"' not in page
    response = signed_in.post(reverse("portal:stocking_order_accept", args=[order.pk]), follow=True)
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ACCEPTED
    page = response.content.decode()
    assert "Stocking order accepted" in page
    assert 'data-testid="accept"' not in page
    assert 'data-testid="decline-form"' not in page
    assert reverse("portal:stocking_order_send", args=[order.pk]) in page


def test_a_staff_member_may_accept_too(client, listing):
    clerk = MembershipFactory(supplier=listing.supplier, role="staff").user
    client.force_login(clerk)
    order = issue(listing)
    client.post(reverse("portal:stocking_order_accept", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ACCEPTED


def test_accepting_twice_is_a_retry_and_accepting_a_declined_order_is_refused(
    signed_in, listing, member
):
    order = accepted(listing, member)
    response = signed_in.post(reverse("portal:stocking_order_accept", args=[order.pk]), follow=True)
    assert response.status_code == 200
    assert "Stocking order accepted." in flashes(response)
    assert Event.objects.filter(kind="stocking.accepted", subject_id=str(order.pk)).count() == 1
    declined = issue(listing)
    stocking_order_transition(declined, "declined", actor=None, reason="no capacity")
    url = reverse("portal:stocking_order_accept", args=[declined.pk])
    response = signed_in.post(url, follow=True)
    assert "This stocking order cannot move from Declined to Accepted." in flashes(response)


def test_decline_needs_a_reason_and_records_it(signed_in, listing):
    order = issue(listing)
    url = reverse("portal:stocking_order_decline", args=[order.pk])
    response = signed_in.post(url, {"reason": "   "})
    assert response.status_code == 200
    assert 'data-testid="error-summary"' in response.content.decode()
    assert 'data-field="reason"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ISSUED
    response = signed_in.post(url, {"reason": "Mould under repair"}, follow=True)
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("declined", "Mould under repair")
    assert 'data-testid="status-reason">Mould under repair' in response.content.decode()


def test_declining_an_accepted_order_is_refused_on_the_page(signed_in, listing, member):
    order = accepted(listing, member)
    response = signed_in.post(
        reverse("portal:stocking_order_decline", args=[order.pk]), {"reason": "changed mind"}
    )
    assert response.status_code == 200
    assert "This stocking order cannot move from Accepted to Declined." in flashes(response)
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.ACCEPTED


def test_send_by_carrier_creates_the_shipment_notice(signed_in, listing, member):
    order = accepted(listing, member, quantity=12)
    url = reverse("portal:stocking_order_send", args=[order.pk])
    page = signed_in.get(url).content.decode()
    assert 'name="declared" id="id_declared" value="12"' in page  # the whole order by default
    assert 'data-testid="no-pickup"' in page
    assert 'value="pickup"' not in page
    response = signed_in.post(
        url, {"declared": "10", "method": "carrier", "carrier": "sf_express", "waybill": "sf99"}
    )
    shipment = InboundShipment.objects.get(stocking_order=order)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:shipment_detail", args=[shipment.pk])
    assert (shipment.carrier, shipment.waybill, shipment.status) == ("sf_express", "SF99", "draft")
    assert list(shipment.lines.values_list("listing_id", "declared")) == [(listing.pk, 10)]
    # The send page then names the shipment already notified.
    assert 'data-testid="earlier-shipments"' in signed_in.get(url).content.decode()


def test_send_form_refusals_show_beside_the_fields(signed_in, listing, member):
    order = accepted(listing, member)
    url = reverse("portal:stocking_order_send", args=[order.pk])
    response = signed_in.post(url, {"declared": "0", "method": "carrier", "carrier": "sf_express"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-field="declared"' in page
    assert 'data-field="waybill"' in page
    # Each message once, beside its own field (the carrier was given; the waybill was not).
    assert page.count("Enter the carrier&#x27;s waybill, or ask for a pickup.") == 1
    assert 'data-field="carrier"' not in page
    # A pickup is not a choice when the supplier's cluster is not served.
    response = signed_in.post(url, {"declared": "5", "method": "pickup"})
    assert 'data-field="method"' in response.content.decode()
    assert not InboundShipment.objects.exists()


def test_a_quantity_beyond_an_integer_is_refused_beside_the_field(signed_in, listing, member):
    order = accepted(listing, member)
    url = reverse("portal:stocking_order_send", args=[order.pk])
    response = signed_in.post(
        url,
        {"declared": "3000000000", "method": "carrier", "carrier": "sf_express", "waybill": "SF1"},
    )
    assert response.status_code == 200
    assert 'data-field="declared"' in response.content.decode()
    assert not InboundShipment.objects.exists()


def test_send_is_refused_for_an_order_not_accepted(signed_in, listing):
    order = issue(listing)
    url = reverse("portal:stocking_order_send", args=[order.pk])
    response = signed_in.post(
        url,
        {"declared": "5", "method": "carrier", "carrier": "sf_express", "waybill": "SF1"},
        follow=True,
    )
    assert "Accept the stocking order first." in flashes(response)
    assert not InboundShipment.objects.exists()


def test_send_by_circular_pickup_then_the_slot_shows(signed_in, listing, member):
    cluster = PickupCluster.objects.create(name="Chenghai toys", province="Guangdong")
    order = accepted(listing, member)
    url = reverse("portal:stocking_order_send", args=[order.pk])
    page = signed_in.get(url).content.decode()
    assert 'value="pickup"' in page
    assert "Request a circular pickup (Chenghai toys)" in page
    response = signed_in.post(url, {"declared": "10", "method": "pickup", "waybill": "ignored"})
    shipment = InboundShipment.objects.get(stocking_order=order)
    assert shipment.pickup_requested
    assert shipment.waybill == ""
    page = signed_in.get(response["Location"]).content.decode()
    assert "slot not scheduled yet" in page
    assert 'data-testid="book"' not in page  # the operators book it with the slot
    slot = PickupSlot.objects.create(
        cluster=cluster,
        date=pickup_today() + 2 * DAY,
        window="09:00-12:00",
        warehouse=order.warehouse,
    )
    pickup_assign(shipment, slot, actor=make_operator())
    page = signed_in.get(response["Location"]).content.decode()
    assert f'data-testid="pickup-slot">{slot.date:%Y-%m-%d} 09:00-12:00' in page
    assert 'data-testid="shipment-status">Booked' in page
    listed = signed_in.get(reverse("portal:shipments")).content.decode()
    assert f"{slot.date:%Y-%m-%d} 09:00-12:00" in listed


# --- Inbound shipments ---------------------------------------------------------------------------


def test_book_then_cancel_a_shipment(signed_in, listing, member):
    order = accepted(listing, member)
    shipment = inbound_create(order, actor=member, carrier="SF Express", waybill="SF123")
    url = reverse("portal:shipment_detail", args=[shipment.pk])
    page = signed_in.get(url).content.decode()
    assert 'data-testid="book"' in page
    assert 'data-testid="cancel"' in page
    response = signed_in.post(reverse("portal:shipment_book", args=[shipment.pk]), follow=True)
    assert "Shipment booked." in flashes(response)
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    page = response.content.decode()
    assert 'data-testid="book"' not in page
    assert 'data-testid="cancel"' in page
    cancel = reverse("portal:shipment_cancel", args=[shipment.pk])
    # The service wants a reason; its refusal is shown on the reason field.
    refused = signed_in.post(cancel, {"reason": "  "})
    assert refused.status_code == 200
    assert '<p class="errors" role="alert" data-field="reason">Required.</p>' in (
        refused.content.decode()
    )
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    response = signed_in.post(cancel, {"reason": "Wrong size packed"}, follow=True)
    assert "Shipment cancelled." in flashes(response)
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert Event.objects.get(kind="inbound.cancelled").reason == "Wrong size packed"
    assert 'data-testid="cancel"' not in response.content.decode()


def test_booking_a_pickup_without_a_slot_or_cancelling_in_transit_is_refused(
    signed_in, listing, member
):
    PickupCluster.objects.create(name="Chenghai toys", province="Guangdong")
    shipment = inbound_create(accepted(listing, member), actor=member, pickup=True)
    response = signed_in.post(reverse("portal:shipment_book", args=[shipment.pk]), follow=True)
    assert "wait for a pickup slot" in flashes(response)
    moving = shipment_for(listing, 5, status="in_transit")
    response = signed_in.post(reverse("portal:shipment_cancel", args=[moving.pk]), follow=True)
    assert "This inbound shipment cannot move from In transit to Cancelled." in flashes(response)
    moving.refresh_from_db()
    assert moving.status == "in_transit"


def test_shipment_shows_discrepancies_and_each_lots_inspection(signed_in, listing):
    staff = make_operator()
    rejected = shipment_for(listing, 10)
    line = rejected.lines.get()
    line_count(line, received=8, damaged=1, actor=staff)
    inspection = line_inspect(line, defects=3, actor=staff, notes="Loose stitching")
    assert inspection.result == "rejected"
    page = signed_in.get(reverse("portal:shipment_detail", args=[rejected.pk])).content.decode()
    assert f'<tr data-line="{line.pk}" class="row-bad">' in page
    assert 'data-testid="over-short">2 short<' in page
    assert re.search(r'negative" data-testid="damaged">1<', page)
    assert f'data-testid="code-letter">{inspection.letter}<' in page
    assert f'data-testid="sample-size">{inspection.sample_size}<' in page
    assert (
        f'data-testid="ac-re">Ac {inspection.accept_number} / Re {inspection.reject_number}<'
        in page
    )
    assert 'data-testid="defects" class="negative">3<' in page
    assert 'data-testid="severity">Normal <span class="hint">(normal inspection)' in page
    assert "goes back to you at your cost" in page
    assert "Loose stitching" in page

    good = shipment_for(listing, 6)
    line = good.lines.get()
    line_count(line, received=7, damaged=0, actor=staff)
    line_inspect(line, defects=0, actor=staff)
    page = signed_in.get(reverse("portal:shipment_detail", args=[good.pk])).content.decode()
    assert 'data-testid="over-short">1 over<' in page
    assert 'data-testid="rejected-lot"' not in page
    assert 'data-testid="inspection-result">Accepted' in page
    listed = signed_in.get(reverse("portal:shipments")).content.decode()
    assert row_ids(listed, "shipment")[:2] == [good.pk, rejected.pk]
    assert "1 lot rejected" in listed


def test_shipments_filter_by_status(signed_in, listing, member):
    draft = inbound_create(accepted(listing, member), actor=member, carrier="SF", waybill="SF1")
    arrived = shipment_for(listing, 3)
    page = signed_in.get(reverse("portal:shipments"), {"status": "arrived"}).content.decode()
    assert row_ids(page, "shipment") == [arrived.pk]
    assert draft.pk not in row_ids(page, "shipment")


# --- Stock, payables, consumer orders ------------------------------------------------------------


def test_stock_page_shows_positions_ageing_payables_and_consumer_orders(signed_in, listing):
    north = WarehouseFactory(name="Dongguan hub")
    south = WarehouseFactory(name="Shenzhen hub")
    receive_stock(listing, 10, warehouse=north)
    age_lots(listing, 100)
    receive_stock(listing, 5, warehouse=south)
    sell(listing, 2, "SHOP-1")  # sold: a payable of 2 x 20.00
    sell(listing, 1, "SHOP-2", fulfil=False)  # reserved
    page = signed_in.get(reverse("portal:stock")).content.decode()
    assert 'data-testid="total-on-hand">13<' in page
    assert 'data-testid="total-available">12<' in page
    assert 'data-testid="total-reserved">1<' in page
    assert 'data-testid="total-sold">2<' in page
    assert 'data-testid="open-payables">40.00 <small>CNY' in page
    # Ageing: 5 fresh units, and what is left of the 100-day-old lot (sales take the oldest).
    units = [int(n) for n in re.findall(r'data-testid="bucket-units">(\d+)<', page)]
    assert units == [5, 0, 0, 8]
    assert "over 90 days" in page
    ages = re.findall(r'data-testid="age">(\d+)', page)
    assert sorted(ages) == ["0", "100"]
    assert 'class="num negative" data-testid="age">100' in page
    assert "Dongguan hub" in page
    assert "Shenzhen hub" in page
    assert "SHOP-1" in page
    assert "SHOP-2" in page
    assert "Reserved" in page
    assert "Fulfilled" in page


def test_stock_positions_paginate_by_100(signed_in, listing):
    # Test data: empty positions as the ledger leaves them once everything is sold.
    hubs = Warehouse.objects.bulk_create(
        Warehouse(code=f"p-{k}", name=f"Hub {k:03d}", kind="hub", address="x") for k in range(101)
    )
    StockPosition.objects.bulk_create(
        StockPosition(listing=listing, warehouse=hub, supplier=listing.supplier) for hub in hubs
    )
    page = signed_in.get(reverse("portal:stock")).content.decode()
    assert len(row_ids(page, "position")) == 100
    assert "Page 1 of 2" in page
    page = signed_in.get(reverse("portal:stock"), {"page": 2}).content.decode()
    assert len(row_ids(page, "position")) == 1


def test_payables_list_with_open_total_and_pages(signed_in, listing):
    receive_stock(listing, 40, warehouse=WarehouseFactory())
    for k in range(27):
        sell(listing, 1, f"SHOP-P{k}")
    page = signed_in.get(reverse("portal:payables")).content.decode()
    assert 'data-testid="open-payables">540.00 <small>CNY' in page  # 27 x 20.00
    assert len(row_ids(page, "payable")) == 25
    assert "Page 1 of 2" in page
    page = signed_in.get(reverse("portal:payables"), {"page": 2}).content.decode()
    assert len(row_ids(page, "payable")) == 2


# --- Overstock ---------------------------------------------------------------------------------


@pytest.fixture
def offer(listing):
    receive_stock(listing, 8, warehouse=WarehouseFactory())
    age_lots(listing, 95)
    assert offer_overstock() == 1
    return OverstockOffer.objects.get(lot__position__listing=listing)


def test_overstock_offers_list_with_both_answers(signed_in, offer):
    page = signed_in.get(reverse("portal:overstock_offers")).content.decode()
    assert row_ids(page, "offer") == [offer.pk]
    assert "Take back (at your freight)" in page
    assert "Leave for markdown" in page
    assert "95 days ago" in page


def test_take_back_returns_the_units(signed_in, offer, listing):
    response = signed_in.post(reverse("portal:overstock_take_back", args=[offer.pk]), follow=True)
    assert "8 units will be returned to you at your freight." in flashes(response)
    offer.refresh_from_db()
    assert offer.status == OverstockOffer.Status.RETURNED
    assert position_of(listing).available == 0
    assert 'data-testid="take-back"' not in response.content.decode()


def test_leave_for_markdown_then_taking_back_is_refused(signed_in, offer):
    signed_in.post(reverse("portal:overstock_leave", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.status == OverstockOffer.Status.LEFT_FOR_MARKDOWN
    response = signed_in.post(reverse("portal:overstock_take_back", args=[offer.pk]), follow=True)
    assert "This overstock offer cannot move from Left for markdown to Returned." in flashes(
        response
    )
    offer.refresh_from_db()
    assert offer.status == OverstockOffer.Status.LEFT_FOR_MARKDOWN


# --- Isolation ---------------------------------------------------------------------------------

SECRETS = ["Secret Lantern", "秘密灯笼", "SF-SECRET-77", "SHOP-SECRET", "secret refusal"]


@pytest.fixture
def secret(db):
    """Another supplier's stocking orders, shipment, stock, sale and overstock offer."""
    listing = stocked_listing()
    listing.product = ProductFactory(
        owner=listing.supplier, title_en="Secret Lantern", title_zh="秘密灯笼"
    )
    listing.save(update_fields=["product"])
    owner = MembershipFactory(supplier=listing.supplier, role="owner").user
    receive_stock(listing, 10, warehouse=WarehouseFactory())
    age_lots(listing, 95)
    offer_overstock()
    sell(listing, 1, "SHOP-SECRET")
    issued = issue(listing)
    declined = issue(listing)
    stocking_order_transition(declined, "declined", actor=None, reason="secret refusal")
    order = accepted(listing, owner)
    shipment = inbound_create(order, actor=owner, carrier="SF", waybill="SF-SECRET-77")
    return {
        "issued": issued,
        "order": order,
        "shipment": shipment,
        "offer": OverstockOffer.objects.get(supplier=listing.supplier),
        "owner": owner,
    }


LISTS = ["stock", "stocking_orders", "shipments", "payables", "overstock_offers"]


@pytest.mark.parametrize("name", LISTS)
def test_another_suppliers_rows_are_absent_from_every_list(signed_in, secret, name):
    assert leaked(signed_in.get(reverse(f"portal:{name}")), SECRETS) == [], name


@pytest.mark.parametrize("name", LISTS)
def test_the_markers_show_to_their_own_supplier(client, secret, name):
    client.force_login(secret["owner"])
    assert leaked(client.get(reverse(f"portal:{name}")), SECRETS), name


def test_another_suppliers_ids_are_404_and_change_nothing(signed_in, secret):
    issued, order = secret["issued"], secret["order"]
    shipment, offer = secret["shipment"], secret["offer"]
    requests = [
        ("get", reverse("portal:stocking_order_detail", args=[issued.pk]), {}),
        ("post", reverse("portal:stocking_order_accept", args=[issued.pk]), {}),
        ("post", reverse("portal:stocking_order_decline", args=[issued.pk]), {"reason": "x"}),
        ("get", reverse("portal:stocking_order_send", args=[order.pk]), {}),
        (
            "post",
            reverse("portal:stocking_order_send", args=[order.pk]),
            {"declared": "1", "method": "carrier", "carrier": "sf_express", "waybill": "SF2"},
        ),
        ("get", reverse("portal:shipment_detail", args=[shipment.pk]), {}),
        ("post", reverse("portal:shipment_book", args=[shipment.pk]), {}),
        ("post", reverse("portal:shipment_cancel", args=[shipment.pk]), {}),
        ("post", reverse("portal:overstock_take_back", args=[offer.pk]), {}),
        ("post", reverse("portal:overstock_leave", args=[offer.pk]), {}),
    ]

    def state():
        return (
            list(StockingOrder.objects.values_list("pk", "status").order_by("pk")),
            list(InboundShipment.objects.values_list("pk", "status").order_by("pk")),
            list(OverstockOffer.objects.values_list("pk", "status").order_by("pk")),
            Event.objects.count(),
        )

    assert_ids_are_404(signed_in, requests, state=state, secrets=SECRETS)
    assert (issued.status, shipment.status, offer.status) == ("issued", "draft", "offered")


# --- Query counts --------------------------------------------------------------------------------


def test_list_pages_keep_a_constant_number_of_queries(
    signed_in, listing, member, django_assert_max_num_queries
):
    def fill(n: int) -> None:
        for k in range(n):
            hub = WarehouseFactory()
            receive_stock(listing, 3, warehouse=hub)  # a stocking order, shipment, position
            inbound_create(accepted(listing, member), actor=member, carrier="SF", waybill=f"Q{k}")
            issue(listing)
            sell(listing, 1, f"SHOP-Q{k}")
        age_lots(listing, 95)
        offer_overstock()

    urls = [reverse(f"portal:{name}") for name in LISTS]
    fill(2)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(25) as few:
            assert signed_in.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    fill(8)
    assert OverstockOffer.objects.count() == 10
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert signed_in.get(url).status_code == 200


def test_detail_pages_keep_a_constant_number_of_queries(
    signed_in, listing, member, django_assert_max_num_queries
):
    order = accepted(listing, member)
    shipment = inbound_create(order, actor=member, carrier="SF", waybill="SF1")
    urls = [
        reverse("portal:stocking_order_detail", args=[order.pk]),
        reverse("portal:shipment_detail", args=[shipment.pk]),
        reverse("portal:stocking_order_send", args=[order.pk]),
    ]
    for url in urls:
        with django_assert_max_num_queries(20):
            assert signed_in.get(url).status_code == 200


def test_every_page_renders_in_chinese(client, secret, settings):
    client.force_login(secret["owner"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    urls = [reverse(f"portal:{name}") for name in LISTS] + [
        reverse("portal:stocking_order_detail", args=[secret["issued"].pk]),
        reverse("portal:stocking_order_send", args=[secret["order"].pk]),
        reverse("portal:shipment_detail", args=[secret["shipment"].pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-hans">' in response.content.decode(), url


def test_the_shipments_page_shows_the_suppliers_lot_record(client):
    listing = stocked_listing()
    receive_stock(listing, 20, warehouse=WarehouseFactory())
    receive_stock(listing, 20, warehouse=WarehouseFactory(), defects=3)
    other = stocked_listing()
    receive_stock(other, 20, warehouse=WarehouseFactory(), defects=3)  # not counted for us
    client.force_login(MembershipFactory(supplier=listing.supplier).user)
    page = client.get(reverse("portal:shipments")).content.decode()
    assert "Last 30 days: 1 of 2 lots rejected at inspection." in page
