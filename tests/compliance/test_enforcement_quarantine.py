"""Quarantine of a failed lot (issue 12, "Enforcement"): the lot's available units leave
`available` and stay on hand (not sellable, not lost) by a `quarantine` movement; an officer
releases them or writes them off; the stock ledger's sums and the listing's stock rule hold."""

from __future__ import annotations

import pytest
from django.db.models import Sum

from catalogue.models import Listing
from compliance.models import EnforcementCase
from compliance.services.enforcement import case_appeal, case_overturn, cases_open_for_failures
from logistics.models import Quarantine, StockLot, StockMovement, StockPosition
from logistics.services.quarantine import (
    quarantine_for_cases,
    quarantine_release,
    quarantine_write_off,
)
from logistics.services.stock import stock_reserve
from logistics.tasks import quarantine_for_cases_task
from marketplace.errors import DomainError
from marketplace.models import Event
from tests.factories.logistics import (
    WarehouseFactory,
    member_of,
    position_of,
    receive_stock,
    stocked_listing,
)

from .enforcement_helpers import failed_record

pytestmark = pytest.mark.django_db


def _sums_hold(position: StockPosition) -> None:
    position.refresh_from_db()
    sums = StockMovement.objects.filter(position=position).aggregate(
        on_hand=Sum("on_hand"), available=Sum("available")
    )
    assert (position.on_hand, position.available) == (sums["on_hand"], sums["available"])
    assert 0 <= position.available <= position.on_hand


def _case_for(listing: Listing, **fields: object) -> EnforcementCase:
    record = failed_record(listing, **fields)
    cases_open_for_failures()
    return EnforcementCase.objects.get(test_record=record)


def test_the_failed_lot_is_quarantined_not_sellable_not_lost(django_capture_on_commit_callbacks):
    listing = stocked_listing(10)
    position = position_of(listing)
    lot = StockLot.objects.get(position=position)
    case = _case_for(listing, stock_lot=lot)

    with django_capture_on_commit_callbacks(execute=True):
        assert quarantine_for_cases() == 1
    assert quarantine_for_cases() == 0
    assert quarantine_for_cases_task() == "0 quarantines made or released"

    quarantine = Quarantine.objects.get()
    assert (quarantine.case, quarantine.position, quarantine.lot) == (case, position, lot)
    assert (quarantine.quantity, quarantine.status) == (10, "held")
    position.refresh_from_db()
    assert (position.on_hand, position.available) == (10, 0)
    lot.refresh_from_db()
    assert lot.remaining == 0  # no sale, overstock offer or stock age counts them
    movement = StockMovement.objects.get(position=position, kind="quarantine")
    assert (movement.on_hand, movement.available) == (0, -10)
    _sums_hold(position)
    listing.refresh_from_db()
    # The stock rule: nothing available, the listing pauses.
    assert (listing.status, listing.paused_for_stock) == ("paused", True)
    event = Event.objects.get(kind="compliance.stock_quarantined")
    assert event.payload == {
        "case": case.pk,
        "listing": listing.pk,
        "warehouse": position.warehouse_id,
        "lot": lot.pk,
        "quantity": 10,
    }


def test_released_units_are_available_again(django_capture_on_commit_callbacks, compliance_officer):
    listing = stocked_listing(6)
    position = position_of(listing)
    _case_for(listing, stock_lot=StockLot.objects.get(position=position))
    with django_capture_on_commit_callbacks(execute=True):
        quarantine_for_cases()
    quarantine = Quarantine.objects.get()
    with pytest.raises(DomainError) as refused:
        quarantine_release(quarantine, note=" ", actor=compliance_officer)
    assert refused.value.code == "note_required"

    with django_capture_on_commit_callbacks(execute=True):
        released = quarantine_release(quarantine, note="Retest passed", actor=compliance_officer)
    assert (released.status, released.decided_by) == ("released", compliance_officer)
    position.refresh_from_db()
    assert (position.on_hand, position.available) == (6, 6)
    assert StockLot.objects.get(position=position).remaining == 6
    _sums_hold(position)
    listing.refresh_from_db()
    assert listing.status == "live"
    with pytest.raises(DomainError) as refused:
        quarantine_write_off(quarantine, note="x", actor=compliance_officer)
    assert refused.value.code == "invalid_transition"


def test_written_off_units_leave_the_lot(compliance_officer):
    listing = stocked_listing(8)
    position = position_of(listing)
    lot = StockLot.objects.get(position=position)
    _case_for(listing, stock_lot=lot)
    quarantine_for_cases()
    quarantine = Quarantine.objects.get()

    written = quarantine_write_off(quarantine, note="Destroyed", actor=compliance_officer)

    assert written.status == "written_off"
    position.refresh_from_db()
    assert (position.on_hand, position.available) == (0, 0)
    lot.refresh_from_db()
    assert lot.remaining == 0
    movement = StockMovement.objects.get(position=position, kind="write_off")
    assert (movement.on_hand, movement.available) == (-8, 0)
    _sums_hold(position)
    assert Event.objects.filter(kind="compliance.quarantine_written_off").count() == 1


def test_reserved_units_stay_with_their_orders():
    listing = stocked_listing(10)
    stock_reserve(listing, 3, reference="order-1", actor=None)
    position = position_of(listing)
    _case_for(listing, stock_lot=StockLot.objects.get(position=position))
    quarantine_for_cases()
    assert Quarantine.objects.get().quantity == 7
    position.refresh_from_db()
    assert (position.on_hand, position.available) == (10, 0)
    _sums_hold(position)


def test_only_the_named_lot_is_quarantined():
    warehouse = WarehouseFactory()
    listing = stocked_listing(5, warehouse=warehouse)
    second = receive_stock(listing, 4, warehouse=warehouse)
    position = position_of(listing)
    _case_for(listing, inbound_line=second.line)
    quarantine_for_cases()
    quarantine = Quarantine.objects.get()
    assert (quarantine.lot, quarantine.quantity) == (second.lot, 4)
    position.refresh_from_db()
    assert (position.on_hand, position.available) == (9, 5)


def test_a_record_naming_no_lot_quarantines_the_held_listings_available_stock():
    listing = stocked_listing(5)
    receive_stock(listing, 3, warehouse=WarehouseFactory())
    _case_for(listing)
    assert quarantine_for_cases() == 2
    assert sorted(Quarantine.objects.values_list("quantity", flat=True)) == [3, 5]
    assert all(q.lot is None for q in Quarantine.objects.all())
    assert not StockPosition.objects.filter(listing=listing, available__gt=0).exists()


def test_an_overturned_cases_units_are_released_by_the_job(compliance_officer):
    listing = stocked_listing(4)
    case = _case_for(listing)
    quarantine_for_cases()
    case_appeal(case, text="Wrong sample", actor=member_of(listing))
    case_overturn(case, note="Lab error", actor=compliance_officer)

    assert StockLot.objects.get(position=position_of(listing)).remaining == 0
    assert quarantine_for_cases() == 1
    assert Quarantine.objects.get().status == "released"
    assert position_of(listing).available == 4
    assert StockLot.objects.get(position=position_of(listing)).remaining == 4
    assert quarantine_for_cases() == 0


def test_a_case_with_nothing_in_stock_quarantines_nothing():
    listing = stocked_listing(0)
    _case_for(listing)
    assert quarantine_for_cases() == 0
    assert not Quarantine.objects.exists()
