"""A cancellation says why, whichever door it comes through: the rule is in the services
(stocking orders and inbound shipments), checked once the table allows the move."""

from __future__ import annotations

import pytest

from logistics.models import InboundShipment, StockingOrder
from logistics.services.inbound.shipments import inbound_cancel, inbound_transition
from logistics.services.inbound.stocking import (
    stocking_order_cancel,
    stocking_order_issue,
    stocking_order_transition,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from tests.factories.logistics import (
    WarehouseFactory,
    member_of,
    operator,
    shipment_for,
    stocked_listing,
)

pytestmark = pytest.mark.django_db


def _issued() -> StockingOrder:
    return stocking_order_issue(
        stocked_listing(), quantity=5, warehouse=WarehouseFactory(), actor=operator()
    )


def _refused_for_want_of_a_reason(cancel) -> None:
    events = Event.objects.count()
    with pytest.raises(DomainError) as refused:
        cancel()
    assert (refused.value.code, refused.value.kind) == ("reason_required", ErrorKind.INVALID)
    assert list(refused.value.fields) == ["reason"]
    assert Event.objects.count() == events


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_stocking_order_is_not_cancelled_without_a_reason(reason):
    order = _issued()
    staff = operator()
    _refused_for_want_of_a_reason(lambda: stocking_order_cancel(order, actor=staff, reason=reason))
    # The generic move (the demo's, a script's) holds the same rule.
    _refused_for_want_of_a_reason(
        lambda: stocking_order_transition(
            order, StockingOrder.Status.CANCELLED, actor=staff, reason=reason
        )
    )
    order.refresh_from_db()
    assert order.status == "issued"


def test_a_stocking_order_cancelled_with_a_reason_keeps_it():
    order = _issued()
    stocking_order_cancel(order, actor=operator(), reason="  Listing withdrawn ")
    order.refresh_from_db()
    assert (order.status, order.status_reason) == ("cancelled", "Listing withdrawn")
    assert Event.objects.get(kind="stocking.cancelled").reason == "Listing withdrawn"
    # A retry is not an error, reason or not, and records nothing more.
    stocking_order_cancel(order, actor=operator(), reason="")
    assert Event.objects.filter(kind="stocking.cancelled").count() == 1


def test_a_closed_stocking_order_is_refused_as_such_before_the_reason():
    order = _issued()
    stocking_order_transition(order, StockingOrder.Status.LAPSED, actor=None)
    with pytest.raises(DomainError) as refused:
        stocking_order_cancel(order, actor=operator(), reason="")
    assert (refused.value.code, refused.value.kind) == ("invalid_transition", ErrorKind.CONFLICT)


@pytest.mark.parametrize("who", ["member", "operator"])
def test_a_shipment_is_not_cancelled_without_a_reason(who):
    listing = stocked_listing()
    shipment = shipment_for(listing, 5, status="booked")
    actor = member_of(listing) if who == "member" else operator()
    _refused_for_want_of_a_reason(lambda: inbound_cancel(shipment, actor=actor, reason=" "))
    _refused_for_want_of_a_reason(
        lambda: inbound_transition(shipment, InboundShipment.Status.CANCELLED, actor=actor)
    )
    shipment.refresh_from_db()
    assert shipment.status == "booked"
    inbound_cancel(shipment, actor=actor, reason=" Packed the wrong size ")
    shipment.refresh_from_db()
    assert shipment.status == "cancelled"
    assert Event.objects.get(kind="inbound.cancelled").reason == "Packed the wrong size"


def test_a_shipment_on_its_way_is_refused_as_such_before_the_reason():
    shipment = shipment_for(stocked_listing(), 5, status="in_transit")
    with pytest.raises(DomainError) as refused:
        inbound_cancel(shipment, actor=operator(), reason="")
    assert (refused.value.code, refused.value.kind) == ("invalid_transition", ErrorKind.CONFLICT)
