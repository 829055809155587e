"""A sampling request's life: units pulled (a stock movement of kind sample from consignment
stock, or a test purchase for a semi-managed listing), sent to a lab, its result recorded, or
cancelled; every move through SAMPLING_REQUEST_MACHINE with its event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from catalogue.models import Listing
from compliance.models import Lab, SamplingRequest
from compliance.services.sampling import (
    sampling_request_cancel,
    sampling_result_recorded,
    sampling_send_to_lab,
)
from logistics.models import StockLot, StockMovement, StockPosition
from logistics.services.test_purchases import sampling_units_pull
from marketplace.errors import DomainError
from marketplace.models import Event
from tests.factories.catalogue import ListingFactory
from tests.factories.compliance import LabFactory, TestRecordFactory
from tests.factories.logistics import WarehouseFactory, operator, receive_stock, stocked_listing

pytestmark = pytest.mark.django_db
RS = SamplingRequest.Status


def request_for(listing: Listing, **fields) -> SamplingRequest:
    return SamplingRequest.objects.create(
        listing=listing,
        supplier=listing.supplier,
        weight=Decimal("6"),
        cost_cny=Decimal("1000.00"),
        **fields,
    )


def ledger_matches_positions(listing: Listing) -> None:
    for position in StockPosition.objects.filter(listing=listing):
        sums = StockMovement.objects.filter(position=position).aggregate(
            on_hand=Sum("on_hand"), available=Sum("available")
        )
        assert (position.on_hand, position.available) == (sums["on_hand"], sums["available"])
        remaining = StockLot.objects.filter(position=position).aggregate(n=Sum("remaining"))["n"]
        assert remaining == position.on_hand


# --- Pulling units ------------------------------------------------------------------------------


def test_pulling_from_consignment_stock_writes_off_a_sample_and_keeps_the_sums():
    listing = stocked_listing(5)
    staff = operator()
    request = request_for(listing, units=2)

    sampling_units_pull(request, actor=staff)

    request.refresh_from_db()
    assert request.status == RS.UNITS_PULLED
    assert request.units_pulled_at is not None
    movement = request.stock_movement
    assert movement.kind == StockMovement.Kind.SAMPLE
    assert (movement.on_hand, movement.available) == (-2, -2)
    assert movement.reference == f"sample #{request.pk}"
    assert movement.actor == staff
    position = StockPosition.objects.get(listing=listing)
    assert (position.on_hand, position.available, position.sold) == (3, 3, 0)
    ledger_matches_positions(listing)
    [event] = Event.objects.filter(kind="compliance.sampling_units_pulled")
    assert event.supplier_id == listing.supplier_id
    assert event.payload == {"from": "planned", "to": "units_pulled", "units": 2, "how": "stock"}


def test_pulling_twice_moves_the_stock_once():
    listing = stocked_listing(5)
    request = request_for(listing)
    staff = operator()
    sampling_units_pull(request, actor=staff)
    sampling_units_pull(request, actor=staff)
    assert StockMovement.objects.filter(kind=StockMovement.Kind.SAMPLE).count() == 1
    assert StockPosition.objects.get(listing=listing).on_hand == 4


def test_pulling_the_last_units_pauses_the_listing_by_the_stock_rule(
    django_capture_on_commit_callbacks,
):
    listing = stocked_listing(1)
    with django_capture_on_commit_callbacks(execute=True):
        sampling_units_pull(request_for(listing), actor=operator())
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PAUSED
    assert listing.paused_for_stock


def test_pulling_takes_the_warehouse_holding_enough_units():
    listing = stocked_listing(1, warehouse=WarehouseFactory(code="hub-a"))
    receive_stock(listing, 4, warehouse=WarehouseFactory(code="hub-b"))
    request = request_for(listing, units=3)
    sampling_units_pull(request, actor=operator())
    request.refresh_from_db()
    assert request.stock_movement.position.warehouse.code == "hub-b"
    ledger_matches_positions(listing)


def test_no_stock_to_pull_is_refused_and_nothing_moves():
    listing = stocked_listing(1)
    request = request_for(listing, units=2)
    with pytest.raises(DomainError) as refused:
        sampling_units_pull(request, actor=operator())
    assert refused.value.code == "out_of_stock"
    request.refresh_from_db()
    assert request.status == RS.PLANNED
    assert not StockMovement.objects.filter(kind=StockMovement.Kind.SAMPLE).exists()


def test_a_semi_managed_listing_is_bought_and_the_purchase_recorded():
    listing = ListingFactory(mode=Listing.Mode.SEMI_MANAGED, status=Listing.Status.LIVE)
    request = request_for(listing)
    with pytest.raises(DomainError) as refused:
        sampling_units_pull(request, actor=operator())
    assert refused.value.code == "purchase_required"
    assert set(refused.value.fields) == {"purchase_reference", "purchase_amount_cny"}

    sampling_units_pull(
        request,
        actor=operator(),
        purchase_reference=" AMZ-113-555 ",
        purchase_amount_cny=Decimal("89.50"),
    )

    request.refresh_from_db()
    assert request.status == RS.UNITS_PULLED
    assert request.purchase_reference == "AMZ-113-555"
    assert request.purchase_amount_cny == Decimal("89.50")
    assert request.stock_movement is None
    assert not StockMovement.objects.exists()
    event = Event.objects.get(kind="compliance.sampling_units_pulled")
    assert event.payload["how"] == "purchase"


# --- Lab, result, cancel ------------------------------------------------------------------------


def pulled(listing: Listing | None = None) -> SamplingRequest:
    listing = listing or ListingFactory(mode=Listing.Mode.SEMI_MANAGED, status=Listing.Status.LIVE)
    return sampling_units_pull(
        request_for(listing),
        actor=operator(),
        purchase_reference="PO-1",
        purchase_amount_cny=Decimal("10"),
    )


def test_sending_to_a_lab_records_the_lab_and_the_day():
    request = pulled()
    lab = LabFactory()
    today = timezone.localdate()
    sampling_send_to_lab(request, lab=lab, sent_on=today, actor=operator())
    request.refresh_from_db()
    assert (request.status, request.lab, request.sent_to_lab_on) == (RS.SENT_TO_LAB, lab, today)
    event = Event.objects.get(kind="compliance.sampling_sent_to_lab")
    assert event.payload == {
        "from": "units_pulled",
        "to": "sent_to_lab",
        "lab": lab.pk,
        "sent_on": today.isoformat(),
    }


def test_an_inactive_lab_or_a_day_before_the_pull_is_refused():
    request = pulled()
    with pytest.raises(DomainError) as refused:
        sampling_send_to_lab(request, lab=LabFactory(status=Lab.Status.SUSPENDED), actor=operator())
    assert refused.value.code == "lab_inactive"
    with pytest.raises(DomainError) as refused:
        sampling_send_to_lab(
            request,
            lab=LabFactory(),
            sent_on=timezone.localdate() - timedelta(days=2),
            actor=operator(),
        )
    assert refused.value.code == "sent_before_pulled"
    request.refresh_from_db()
    assert request.status == RS.UNITS_PULLED


def test_a_planned_request_cannot_go_to_a_lab():
    request = request_for(ListingFactory())
    with pytest.raises(DomainError) as refused:
        sampling_send_to_lab(request, lab=LabFactory(), actor=operator())
    assert refused.value.code == "invalid_transition"


def test_the_lab_record_records_the_result():
    request = pulled()
    lab = LabFactory()
    sampling_send_to_lab(request, lab=lab, actor=operator())
    record = TestRecordFactory(
        product=request.listing.product,
        supplier=request.supplier,
        lab=lab,
        sampling_request=request,
        result="fail",
    )

    sampling_result_recorded(request, record, actor=None)
    sampling_result_recorded(request, record, actor=None)  # again: nothing more

    request.refresh_from_db()
    assert request.status == RS.RESULT_RECORDED
    [event] = Event.objects.filter(kind="compliance.sampling_result_recorded")
    assert event.payload == {
        "from": "sent_to_lab",
        "to": "result_recorded",
        "record": record.pk,
        "result": "fail",
    }


def test_a_result_for_units_still_marked_pulled_passes_through_the_lab():
    request = pulled()
    record = TestRecordFactory(
        product=request.listing.product, supplier=request.supplier, sampling_request=request
    )
    sampling_result_recorded(request, record, actor=None)
    request.refresh_from_db()
    assert request.status == RS.RESULT_RECORDED
    assert request.lab == record.lab
    kinds = list(
        Event.objects.filter(kind__startswith="compliance.sampling").values_list("kind", flat=True)
    )
    assert "compliance.sampling_sent_to_lab" in kinds


def test_a_record_of_another_product_or_request_is_refused():
    request = pulled()
    sampling_send_to_lab(request, lab=LabFactory(), actor=operator())
    stranger = TestRecordFactory()
    with pytest.raises(DomainError) as refused:
        sampling_result_recorded(request, stranger, actor=None)
    assert refused.value.code == "record_of_another_product"
    other = pulled()
    theirs = TestRecordFactory(
        product=other.listing.product, supplier=other.supplier, sampling_request=other
    )
    with pytest.raises(DomainError) as refused:
        sampling_result_recorded(request, theirs, actor=None)
    assert refused.value.code == "record_of_another_request"
    request.refresh_from_db()
    assert request.status == RS.SENT_TO_LAB


def test_cancelling_needs_a_reason_and_only_a_planned_request():
    request = request_for(ListingFactory())
    with pytest.raises(DomainError) as refused:
        sampling_request_cancel(request, reason=" ", actor=operator())
    assert refused.value.code == "reason_required"
    sampling_request_cancel(request, reason="Listing being delisted", actor=operator())
    request.refresh_from_db()
    assert (request.status, request.cancel_reason) == (RS.CANCELLED, "Listing being delisted")
    cancelled = Event.objects.get(kind="compliance.sampling_cancelled")
    assert cancelled.reason == "Listing being delisted"
    assert cancelled.supplier_id is None  # the seller never learns it was picked
    with pytest.raises(DomainError) as refused:
        sampling_request_cancel(pulled(), reason="Too late", actor=operator())
    assert refused.value.code == "invalid_transition"


def test_a_listing_has_one_open_request_at_a_time():
    from django.db import IntegrityError, transaction

    listing = ListingFactory()
    first = request_for(listing)
    with pytest.raises(IntegrityError), transaction.atomic():
        request_for(listing)
    sampling_request_cancel(first, reason="Replanned", actor=None)
    request_for(listing)  # a cancelled one no longer counts
