"""Stocking orders to stock, and stock to payables (issue 6), through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from catalogue.models import Listing
from logistics.models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    SamplingState,
    StockingOrder,
    StockLot,
    StockMovement,
    StockPosition,
)
from logistics.services.inbound.inspection import line_inspect
from logistics.services.inbound.notices import LineIn, inbound_create
from logistics.services.inbound.receiving import line_count
from logistics.services.inbound.shipments import inbound_transition
from logistics.services.inbound.stocking import (
    lapse_stocking_orders,
    stocking_order_accept,
    stocking_order_issue,
    stocking_order_transition,
)
from logistics.services.overstock import (
    offer_overstock,
    overstock_leave,
    overstock_mark_down,
    overstock_take_back,
)
from marketplace.errors import DomainError
from marketplace.models import Event
from orders.models import ConsumerOrder, JitOrder, Payable
from orders.services.consumer import (
    consumer_order_cancel,
    consumer_order_create,
    consumer_order_fulfil,
)
from tests.factories.accounts import UserFactory
from tests.factories.logistics import (
    WarehouseFactory,
    member_of,
    operator,
    position_of,
    receive_stock,
    shipment_for,
    stocked_listing,
)

pytestmark = pytest.mark.django_db


def test_the_stocking_cap_holds_until_the_first_batch_passes(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing(new=True)
    hub = WarehouseFactory()
    staff = operator()
    stocking_order_issue(listing, quantity=20, warehouse=hub, actor=staff)
    with pytest.raises(DomainError) as refused:
        stocking_order_issue(listing, quantity=11, warehouse=hub, actor=staff)
    assert refused.value.code == "over_stocking_cap"
    assert list(refused.value.fields) == ["quantity"]
    stocking_order_issue(listing, quantity=10, warehouse=hub, actor=staff)


def test_expiry_is_14_days_or_7_when_urgent_and_unshipped_orders_lapse():
    listing = stocked_listing()
    hub = WarehouseFactory()
    now = timezone.now()
    normal = stocking_order_issue(listing, quantity=5, warehouse=hub, actor=None, now=now)
    urgent = stocking_order_issue(
        listing, quantity=5, warehouse=hub, actor=None, now=now, urgent=True
    )
    assert normal.expires_at == now + timedelta(days=14)
    assert urgent.expires_at == now + timedelta(days=7)
    assert lapse_stocking_orders(now=now + timedelta(days=8)) == 1
    urgent.refresh_from_db()
    assert urgent.status == StockingOrder.Status.LAPSED
    assert lapse_stocking_orders(now=now + timedelta(days=8)) == 0


def test_a_shipment_goes_through_its_states_and_receiving_records_discrepancies():
    listing = stocked_listing()
    shipment = shipment_for(listing, 50)
    assert shipment.status == InboundShipment.Status.ARRIVED
    assert shipment.stocking_order.status == StockingOrder.Status.SHIPPED
    line = shipment.lines.get()
    staff = operator()
    line_count(line, received=48, damaged=3, actor=staff)
    line.refresh_from_db()
    assert (line.discrepancy, line.damaged, line.sound) == (-2, 3, 45)
    shipment.refresh_from_db()
    assert shipment.status == InboundShipment.Status.RECEIVING
    with pytest.raises(DomainError):
        inbound_transition(shipment, "closed", actor=staff)
    inspection = line_inspect(line, defects=1, actor=staff)
    # 45 sound units, AQL 2.5 normal: letter D, n 5, Ac 0 / Re 1: one defective rejects.
    assert (inspection.letter, inspection.sample_size, inspection.accept_number) == ("D", 5, 0)
    assert inspection.result == Inspection.Result.REJECTED
    assert not StockPosition.objects.filter(listing=listing).exists()
    inbound_transition(shipment, "received", actor=staff)
    inbound_transition(shipment, "closed", actor=staff)
    kinds = list(Event.objects.filter(supplier=listing.supplier).values_list("kind", flat=True))
    assert "inbound.counted" in kinds
    assert "inspection.rejected" in kinds


def test_an_inspected_line_cannot_be_recounted():
    listing = stocked_listing()
    line = shipment_for(listing, 20).lines.get()
    staff = operator()
    line_count(line, received=20, damaged=0, actor=staff)
    line_inspect(line, defects=0, actor=staff)
    with pytest.raises(DomainError) as refused:
        line_count(line, received=5, damaged=5, actor=staff)
    assert refused.value.code == "already_inspected"
    line.refresh_from_db()
    assert line.sound == Inspection.objects.get(line=line).lot_size == 20


def test_lots_of_a_shipment_marked_received_can_still_be_inspected_then_closed():
    listing = stocked_listing()
    shipment = shipment_for(listing, 20)
    line = shipment.lines.get()
    staff = operator()
    line_count(line, received=20, damaged=0, actor=staff)
    inbound_transition(shipment, "received", actor=staff)
    line_inspect(line, defects=0, actor=staff)
    inbound_transition(shipment, "closed", actor=staff)
    assert position_of(listing).on_hand == 20


def test_an_accepted_lot_becomes_consignment_stock_and_lifts_the_cap():
    listing = stocked_listing(new=True)
    shipment = shipment_for(listing, 20)
    line = shipment.lines.get()
    staff = operator()
    line_count(line, received=20, damaged=0, actor=staff)
    line_inspect(line, defects=0, actor=staff)
    position = position_of(listing)
    assert (position.on_hand, position.available) == (20, 20)
    movement = StockMovement.objects.get(position=position)
    assert (movement.kind, movement.owner_id) == ("receipt", listing.supplier_id)
    listing.refresh_from_db()
    assert listing.first_batch_accepted_at is not None
    assert StockLot.objects.get(position=position).remaining == 20


def test_switching_to_tightened_and_discontinued_then_restart():
    from logistics.services.inbound.inspection import inspection_plan, sampling_restart

    listing = stocked_listing()
    staff = operator()

    def lot(defects: int) -> Inspection:
        shipment = shipment_for(listing, 100)
        line = shipment.lines.get()
        line_count(line, received=100, damaged=0, actor=staff)
        plan = inspection_plan(line)
        assert plan.plan.sample_size in (20, 32)
        return line_inspect(line, defects=defects, actor=staff)

    assert lot(2).severity == "normal"  # rejected (Ac 1)
    assert lot(2).severity == "normal"  # second rejection: switch
    state = SamplingState.objects.get(supplier=listing.supplier, product=listing.product)
    assert state.severity == "tightened"
    nxt = lot(0)
    assert (nxt.severity, nxt.sample_size) == ("tightened", 32)
    for _ in range(5):
        lot(5)
    state.refresh_from_db()
    assert state.severity == "discontinued"
    shipment = shipment_for(listing, 100)
    line = shipment.lines.get()
    line_count(line, received=100, damaged=0, actor=staff)
    with pytest.raises(DomainError) as refused:
        line_inspect(line, defects=0, actor=staff)
    assert refused.value.code == "inspection_discontinued"
    sampling_restart(state, actor=staff, corrective_action="New mould; 8D report received.")
    state.refresh_from_db()
    assert state.severity == "tightened"
    assert line_inspect(line, defects=0, actor=staff).severity == "tightened"


def test_a_lot_with_nothing_sound_moves_no_switching_rule():
    listing = stocked_listing()
    staff = operator()
    for _ in range(2):
        line = shipment_for(listing, 20).lines.get()
        line_count(line, received=20, damaged=20, actor=staff)
        assert line_inspect(line, defects=0, actor=staff).result == "rejected"
    state = SamplingState.objects.get(supplier=listing.supplier, product=listing.product)
    assert state.severity == "normal"


def test_a_consumer_order_reserves_then_fulfilment_sells_and_records_the_payable():
    listing = stocked_listing(5, price="12.50")
    storefront = UserFactory()
    order = consumer_order_create(
        listing_id=listing.pk, quantity=2, external_id="SO-1", market="US", actor=storefront
    )
    assert isinstance(order, ConsumerOrder)
    position = position_of(listing)
    assert (position.on_hand, position.available, position.reserved) == (5, 3, 2)
    consumer_order_fulfil(order, actor=None)
    position.refresh_from_db()
    assert (position.on_hand, position.available, position.sold) == (3, 3, 2)
    sale = StockMovement.objects.get(position=position, kind="sale")
    assert sale.owner_id is None  # the platform's from the moment of sale
    assert Payable.objects.get(order=order).amount == Decimal("25.00")
    assert StockLot.objects.get(position=position).remaining == 3


def test_a_cancelled_order_releases_its_reservation(django_capture_on_commit_callbacks):
    listing = stocked_listing(2)
    with django_capture_on_commit_callbacks(execute=True):
        order = consumer_order_create(
            listing_id=listing.pk, quantity=2, external_id="SO-2", market="US", actor=UserFactory()
        )
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PAUSED  # nothing available: the stock rule paused it
    with django_capture_on_commit_callbacks(execute=True):
        consumer_order_cancel(order, actor=None)
    position = position_of(listing)
    assert (position.on_hand, position.available) == (2, 2)
    listing.refresh_from_db()
    assert listing.status == Listing.Status.LIVE


def test_no_oversell_and_a_jit_listing_without_stock_makes_a_jit_order():
    listing = stocked_listing(1)
    consumer_order_create(
        listing_id=listing.pk, quantity=1, external_id="A", market="US", actor=UserFactory()
    )
    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.LIVE)
    with pytest.raises(DomainError) as refused:
        consumer_order_create(
            listing_id=listing.pk, quantity=1, external_id="B", market="US", actor=UserFactory()
        )
    assert refused.value.code == "out_of_stock"

    from tests.factories.orders import jit_listing

    jit = jit_listing()
    made = consumer_order_create(
        listing_id=jit.pk, quantity=1, external_id="C", market="US", actor=UserFactory()
    )
    assert isinstance(made, JitOrder)


def test_the_stock_ledger_is_append_only():
    listing = stocked_listing(3)
    movement = StockMovement.objects.get(position__listing=listing)
    for sql in (
        "UPDATE logistics_stockmovement SET on_hand = 99 WHERE id = %s",
        "DELETE FROM logistics_stockmovement WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [movement.pk])


def test_positions_equal_the_ledger_sums():
    listing = stocked_listing(10)
    for n in range(3):
        order = consumer_order_create(
            listing_id=listing.pk, quantity=2, external_id=f"S{n}", market="US", actor=UserFactory()
        )
        (consumer_order_fulfil if n % 2 else consumer_order_cancel)(order, actor=None)
    position = position_of(listing)
    from django.db.models import Sum

    sums = StockMovement.objects.filter(position=position).aggregate(
        on_hand=Sum("on_hand"), available=Sum("available")
    )
    assert (position.on_hand, position.available) == (sums["on_hand"], sums["available"])


def test_overstock_is_offered_after_90_days_then_returned_or_marked_down():
    listing = stocked_listing(10)
    lot = StockLot.objects.get(position__listing=listing)
    later = lot.received_at + timedelta(days=91)
    assert offer_overstock(now=lot.received_at + timedelta(days=89)) == 0
    assert offer_overstock(now=later) == 1
    assert offer_overstock(now=later) == 0
    offer = OverstockOffer.objects.get()
    member = member_of(listing)
    overstock_take_back(offer, actor=member)
    position = position_of(listing)
    assert (position.on_hand, position.available) == (0, 0)
    assert StockMovement.objects.filter(position=position, kind="return_to_supplier").exists()

    other = stocked_listing(4)
    other_lot = StockLot.objects.get(position__listing=other)
    offer_overstock(now=other_lot.received_at + timedelta(days=91))
    offer2 = OverstockOffer.objects.get(lot=other_lot)
    with pytest.raises(DomainError):
        overstock_take_back(offer2, actor=member)  # not its supplier's
    overstock_leave(offer2, actor=member_of(other))
    done = overstock_mark_down(offer2, actor=operator(), note="30% off in the US from Monday.")
    assert done.status == OverstockOffer.Status.MARKED_DOWN


def test_a_dead_stock_listings_stock_is_offered_back_whatever_its_age():
    listing = stocked_listing(6)
    lot = StockLot.objects.get(position__listing=listing)
    soon = lot.received_at + timedelta(days=5)
    assert offer_overstock(now=soon) == 0
    listing.dead_stock_since = (soon - timedelta(days=1)).date()
    listing.save(update_fields=["dead_stock_since"])
    assert offer_overstock(now=soon) == 1
    offer = OverstockOffer.objects.get()
    assert (offer.lot_id, offer.quantity) == (lot.pk, 6)
    event = Event.objects.get(kind="overstock.offered")
    assert "dead stock" in event.reason


def test_a_taken_back_offer_empties_its_own_lot_not_the_oldest():
    hub = WarehouseFactory()
    listing = stocked_listing(10, warehouse=hub)
    receive_stock(listing, 10, warehouse=hub)
    lot_a, lot_b = StockLot.objects.filter(position__listing=listing).order_by("pk")
    now = timezone.now()
    StockLot.objects.filter(pk=lot_a.pk).update(received_at=now - timedelta(days=120))
    StockLot.objects.filter(pk=lot_b.pk).update(received_at=now - timedelta(days=100))
    assert offer_overstock() == 2
    member = member_of(listing)
    overstock_leave(OverstockOffer.objects.get(lot=lot_a), actor=member)
    overstock_take_back(OverstockOffer.objects.get(lot=lot_b), actor=member)
    lot_a.refresh_from_db()
    lot_b.refresh_from_db()
    assert (lot_a.remaining, lot_b.remaining) == (10, 0)
    assert position_of(listing).on_hand == 10


def test_two_shipments_of_one_stocking_order_both_travel_but_not_after_it_lapsed():
    listing = stocked_listing()
    staff = operator()
    order = stocking_order_issue(listing, quantity=60, warehouse=WarehouseFactory(), actor=staff)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    lines = [LineIn(listing.pk, 20)]
    first = inbound_create(order, actor=member, lines=lines, carrier="SF", waybill="SF1")
    second = inbound_create(order, actor=member, lines=lines, carrier="SF", waybill="SF2")
    third = inbound_create(order, actor=member, lines=lines, carrier="SF", waybill="SF3")
    for shipment in (first, second):
        inbound_transition(shipment, "booked", actor=staff)
        inbound_transition(shipment, "in_transit", actor=staff)
    order.refresh_from_db()
    assert order.status == StockingOrder.Status.SHIPPED

    other = stocking_order_issue(listing, quantity=5, warehouse=WarehouseFactory(), actor=staff)
    stocking_order_accept(other, actor=member)
    late = inbound_create(other, actor=member, carrier="SF", waybill="SF4")
    inbound_transition(late, "booked", actor=staff)
    stocking_order_transition(other, "lapsed", actor=None)
    with pytest.raises(DomainError) as refused:
        inbound_transition(late, "in_transit", actor=staff)
    assert refused.value.code == "order_closed"
    assert third.status == InboundShipment.Status.DRAFT


def test_shipments_declare_no_more_than_the_stocking_order_asks(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing(new=True)
    order = stocking_order_issue(listing, quantity=30, warehouse=WarehouseFactory(), actor=None)
    member = member_of(listing)
    stocking_order_accept(order, actor=member)
    inbound_create(order, actor=member, lines=[LineIn(listing.pk, 20)], carrier="SF", waybill="1")
    with pytest.raises(DomainError) as refused:
        inbound_create(
            order, actor=member, lines=[LineIn(listing.pk, 11)], carrier="SF", waybill="2"
        )
    assert list(refused.value.fields) == ["lines[0].declared"]
    inbound_create(order, actor=member, lines=[LineIn(listing.pk, 10)], carrier="SF", waybill="3")
