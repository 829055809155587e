"""Returns, refunds and chargebacks through their services (SPEC, "Returns")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import Listing, OverseasStock
from customs.models import ExchangeRate
from logistics.models import StockMovement, StockPosition
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from returns.models import Chargeback, Refund, ReturnLine, ReturnRequest
from returns.services.chargebacks import chargeback_appeal, chargeback_decide
from returns.services.receiving import Inspection, refund_record, return_inspect
from returns.services.requests import (
    LineInput,
    return_authorise,
    return_cancel,
    return_decline,
    return_request_create,
)
from shipping.models import Parcel
from suppliers.models import LedgerEntry
from suppliers.selectors import supplier_balance
from tests.factories.catalogue import ListingFactory
from tests.factories.logistics import member_of, operator
from tests.factories.suppliers import funded_supplier

from .conftest import delivered, open_return, return_centre, storefront_user, usd_rate

pytestmark = pytest.mark.django_db
Status = ReturnRequest.Status


def _refused(call, code: str, field: str | None = None, kind: ErrorKind | None = None) -> None:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code
    if field is not None:
        assert field in caught.value.fields
    if kind is not None:
        assert caught.value.kind == kind


# --- Opening ------------------------------------------------------------------------------


def test_a_return_of_a_delivered_parcel_is_requested_with_its_values(storefront, centre):
    parcel = delivered(storefront, unit_price="25.00")
    request = open_return(storefront, parcel, quantity=2)
    assert request.status == Status.REQUESTED
    assert not request.refund_only
    assert request.return_centre == centre
    assert (request.listing_id, request.supplier_id) == (parcel.listing_id, parcel.supplier_id)
    line = request.lines.get()
    assert (line.quantity, line.unit_value, line.unit_value_usd) == (
        2,
        Decimal("25.00"),
        Decimal("25.00"),
    )
    event = Event.objects.get(kind="return.requested")
    assert event.payload == {"parcel": parcel.pk, "units": 2, "refund_only": False}
    assert event.supplier_id == parcel.supplier_id


def test_an_item_under_ten_dollars_is_refund_only_refunded_and_closed_at_once(storefront):
    usd_rate("EUR", "1.10")
    parcel = delivered(storefront, market="EU", unit_price="8.99")  # 9.89 USD
    request = open_return(storefront, parcel, quantity=2, reason="changed_mind")
    request.refresh_from_db()
    assert request.refund_only
    assert request.status == Status.CLOSED
    assert request.return_centre is None  # nothing travels back; no centre needed
    line = request.lines.get()
    assert line.unit_value_usd == Decimal("9.89")
    assert (line.not_restocked, line.restocked, line.received) == (2, 0, 0)
    refund = Refund.objects.get(request=request)
    assert (refund.amount, refund.currency, refund.shipping_included) == (
        Decimal("17.98"),
        "EUR",
        False,
    )
    assert refund.lines == {str(line.pk): 2}
    kinds = list(
        Event.objects.exclude(kind="ledger.posted").order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["return.requested", "return.opened", "refund.recorded", "return.closed"]
    assert not Chargeback.objects.exists()


def test_ten_dollars_exactly_is_not_refund_only(storefront, centre):
    parcel = delivered(storefront, unit_price="10.00")
    assert not open_return(storefront, parcel).refund_only


def test_one_line_worth_more_makes_the_whole_return_travel(storefront, centre):
    listing = ListingFactory(supplier=funded_supplier(), status=Listing.Status.LIVE)
    parcel = delivered(storefront, listing=listing, unit_price="5.00")
    item = parcel.items.get()
    item.unit_value = Decimal("5.00")
    item.save()
    cheap = parcel.items.create(
        product=item.product,
        description="second",
        hs_code=item.hs_code,
        origin_country="CN",
        quantity=1,
        unit_value=Decimal("30.00"),
        weight_g=100,
    )
    request = return_request_create(
        parcel_id=parcel.pk,
        external_id="R-9",
        lines=[
            LineInput(item=item.pk, quantity=1, reason="size"),
            LineInput(item=cheap.pk, quantity=1, reason="size"),
        ],
        actor=storefront,
    )
    assert not request.refund_only
    assert request.status == Status.REQUESTED


def test_no_rate_for_the_day_is_refused_naming_the_rate(storefront, centre):
    ExchangeRate.objects.filter(base="JPY").delete()
    ExchangeRate.objects.filter(quote="JPY").delete()
    parcel = delivered(storefront, market="JP", unit_price="3000")
    _refused(lambda: open_return(storefront, parcel), "no_exchange_rate")
    assert not ReturnRequest.objects.exists()


def test_a_parcel_not_delivered_is_refused(storefront, centre):
    parcel = delivered(storefront)
    Parcel.objects.filter(pk=parcel.pk).update(status=Parcel.Status.OUT_FOR_DELIVERY)
    _refused(
        lambda: open_return(storefront, parcel),
        "parcel_not_delivered",
        "parcel",
        ErrorKind.CONFLICT,
    )


def test_after_the_window_is_refused_and_the_last_day_is_not(storefront, centre):
    late = delivered(storefront, delivered_at=timezone.now() - timedelta(days=30, minutes=1))
    _refused(lambda: open_return(storefront, late), "return_window_ended", "parcel")
    in_time = delivered(storefront, delivered_at=timezone.now() - timedelta(days=29, hours=23))
    assert open_return(storefront, in_time, external_id="R-2").pk


def test_another_storefronts_parcel_is_not_found(storefront, centre):
    parcel = delivered(storefront_user("Other shop"))
    _refused(
        lambda: open_return(storefront, parcel), "parcel_not_found", "parcel", ErrorKind.NOT_FOUND
    )


def test_an_item_returned_twice_is_refused_but_the_rest_may_follow(storefront, centre):
    parcel = delivered(storefront, quantity=2)
    open_return(storefront, parcel, quantity=1)
    _refused(
        lambda: open_return(storefront, parcel, quantity=2, external_id="R-2"),
        "already_returned",
        "lines[0].quantity",
        ErrorKind.CONFLICT,
    )
    second = open_return(storefront, parcel, quantity=1, external_id="R-3")
    _refused(
        lambda: open_return(storefront, parcel, quantity=1, external_id="R-4"),
        "already_returned",
    )
    # A cancelled or declined return gives its units back.
    return_cancel(second, actor=storefront)
    assert open_return(storefront, parcel, quantity=1, external_id="R-5").pk


def test_the_same_item_twice_in_one_return_counts_both_lines(storefront, centre):
    parcel = delivered(storefront, quantity=2)
    item = parcel.items.get()
    _refused(
        lambda: return_request_create(
            parcel_id=parcel.pk,
            external_id="R-1",
            lines=[
                LineInput(item=item.pk, quantity=1, reason="size"),
                LineInput(item=item.pk, quantity=2, reason="size"),
            ],
            actor=storefront,
        ),
        "already_returned",
        "lines[1].quantity",
    )


@pytest.mark.parametrize(
    ("line", "code", "field"),
    [
        ({"quantity": 0, "reason": "size"}, "invalid_quantity", "lines[0].quantity"),
        ({"quantity": 1, "reason": "broken"}, "unknown_reason", "lines[0].reason"),
        ({"quantity": 1, "reason": "other"}, "note_required", "lines[0].note"),
        ({"quantity": 1, "reason": "other", "note": "  "}, "note_required", "lines[0].note"),
    ],
)
def test_bad_lines_are_refused_naming_the_field(storefront, centre, line, code, field):
    parcel = delivered(storefront)
    item = parcel.items.get()
    _refused(
        lambda: return_request_create(
            parcel_id=parcel.pk,
            external_id="R-1",
            lines=[LineInput(item=item.pk, **line)],
            actor=storefront,
        ),
        code,
        field,
        ErrorKind.INVALID,
    )
    assert not ReturnRequest.objects.exists()
    assert not ReturnLine.objects.exists()


def test_an_item_of_another_parcel_is_refused(storefront, centre):
    parcel, other = delivered(storefront), delivered(storefront)
    _refused(
        lambda: return_request_create(
            parcel_id=parcel.pk,
            external_id="R-1",
            lines=[LineInput(item=other.items.get().pk, quantity=1, reason="size")],
            actor=storefront,
        ),
        "item_not_found",
        "lines[0].item",
    )


def test_other_with_a_note_is_accepted(storefront, centre):
    parcel = delivered(storefront)
    request = open_return(storefront, parcel, reason="other", note="Smells of paint")
    assert request.lines.get().note == "Smells of paint"


def test_a_reference_is_used_once_per_storefront(storefront, centre):
    parcel = delivered(storefront, quantity=3)
    first = open_return(storefront, parcel)
    with pytest.raises(DomainError) as caught:
        open_return(storefront, parcel)
    assert caught.value.code == "duplicate_external_id"
    assert str(first.pk) in caught.value.fields["external_id"][0]
    other_shop = storefront_user("Other shop")
    other_parcel = delivered(other_shop)
    assert open_return(other_shop, other_parcel).external_id == first.external_id


def test_no_return_centre_in_the_market_is_refused(storefront):
    return_centre("UK")
    parcel = delivered(storefront)
    _refused(lambda: open_return(storefront, parcel), "no_return_centre", "parcel")
    assert not ReturnRequest.objects.exists()


# --- Authorise, decline, cancel -------------------------------------------------------------


def test_an_operator_authorises_and_the_storefront_may_cancel_until_received(storefront, centre):
    request = open_return(storefront, delivered(storefront))
    staff = operator()
    return_authorise(request, actor=staff)
    assert request.status == Status.OPEN
    assert Event.objects.get(kind="return.opened").payload["return_centre"] == centre.pk
    return_cancel(request, actor=storefront)
    assert request.status == Status.CANCELLED


def test_a_received_return_cannot_be_cancelled(storefront, centre):
    request = open_return(storefront, delivered(storefront))
    staff = operator()
    return_authorise(request, actor=staff)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 0, 1, 0, 0)}, actor=staff)
    _refused(lambda: return_cancel(request, actor=storefront), "return_received")


def test_decline_needs_a_known_reason_and_a_note_for_other(storefront, centre):
    request = open_return(storefront, delivered(storefront))
    staff = operator()
    _refused(
        lambda: return_decline(request, reason="nope", note="", actor=staff),
        "unknown_decline_reason",
        "reason",
    )
    _refused(
        lambda: return_decline(request, reason="other", note=" ", actor=staff),
        "note_required",
        "note",
    )
    return_decline(request, reason="final_sale", note="", actor=staff)
    request.refresh_from_db()
    assert (request.status, request.decline_reason) == (Status.DECLINED, "final_sale")
    _refused(lambda: return_authorise(request, actor=staff), "invalid_transition")


# --- Inspection, restocking, chargebacks, refunds --------------------------------------------


def _received(storefront, *, quantity=2, listing=None, market="US"):
    parcel = delivered(storefront, quantity=quantity, listing=listing, market=market)
    request = open_return(storefront, parcel, quantity=quantity)
    staff = operator()
    return_authorise(request, actor=staff)
    return request, staff


def test_inspection_charges_defects_back_and_restocks_sound_units(storefront, centre):
    request, staff = _received(storefront, quantity=3)
    supplier_id = request.supplier_id
    before = supplier_balance(supplier_id)
    line = request.lines.get()
    return_inspect(request, {line.pk: Inspection(2, 1, 1, 1, 1)}, actor=staff)
    line.refresh_from_db()
    assert (line.received, line.defective, line.restocked, line.not_restocked, line.missing) == (
        2,
        1,
        1,
        1,
        1,
    )
    assert request.status == Status.OPEN
    assert request.received_at is not None
    chargeback = Chargeback.objects.get(line=line)
    assert (chargeback.units, chargeback.unit_supply_price, chargeback.handling_fee) == (
        1,
        Decimal("20.00"),
        Decimal("15.00"),
    )
    assert chargeback.amount == Decimal("35.00")
    entry = chargeback.entry
    assert entry.kind == LedgerEntry.Kind.CHARGEBACK
    assert entry.amount == Decimal("-35.00")
    assert entry.reference == chargeback
    assert supplier_balance(supplier_id) == before - Decimal("35.00")
    position = StockPosition.objects.get(listing_id=request.listing_id, warehouse=centre)
    assert (position.on_hand, position.available) == (1, 1)
    movement = position.movements.get()
    assert movement.kind == StockMovement.Kind.RETURN
    assert movement.owner_id is None
    assert Event.objects.filter(kind="chargeback.charged").count() == 1
    assert Event.objects.get(kind="return.received").payload == {
        "received": 2,
        "defective": 1,
        "restocked": 1,
        "missing": 1,
    }


def test_semi_managed_sound_units_go_back_into_the_sellers_overseas_stock(storefront, centre):
    listing = ListingFactory(
        supplier=funded_supplier(),
        status=Listing.Status.LIVE,
        mode=Listing.Mode.SEMI_MANAGED,
        supply_price_cny=Decimal("20.00"),
    )
    OverseasStock.objects.create(listing=listing, market="US", quantity=4)
    request, staff = _received(storefront, quantity=2, listing=listing)
    return_inspect(request, {request.lines.get().pk: Inspection(2, 0, 2, 0, 0)}, actor=staff)
    assert OverseasStock.objects.get(listing=listing, market="US").quantity == 6
    assert not StockPosition.objects.filter(listing=listing).exists()


@pytest.mark.parametrize(
    ("counts", "code", "field"),
    [
        (Inspection(3, 0, 3, 0, 0), "received_too_many", "received"),
        (Inspection(1, 2, 0, 0, 1), "defective_too_many", "defective"),
        (Inspection(1, 0, 1, 1, 0), "missing_mismatch", "missing"),
        (Inspection(2, 0, 1, 0, 0), "dispositions_mismatch", "restocked"),
        (Inspection(2, 1, 2, 0, 0), "defective_restocked", "restocked"),
        (Inspection(-1, 0, 0, 0, 3), "invalid_quantity", ""),
    ],
)
def test_inspection_counts_that_do_not_add_up_are_refused(storefront, centre, counts, code, field):
    request, staff = _received(storefront, quantity=2)
    line = request.lines.get()
    with pytest.raises(DomainError) as caught:
        return_inspect(request, {line.pk: counts}, actor=staff)
    assert caught.value.code == code
    assert f"lines[{line.pk}]{'.' + field if field else ''}" in caught.value.fields
    line.refresh_from_db()
    assert line.inspected_at is None
    assert not Chargeback.objects.exists()


def test_a_requested_return_is_not_inspected_and_inspection_happens_once(storefront, centre):
    parcel = delivered(storefront)
    request = open_return(storefront, parcel)
    staff = operator()
    counts = {request.lines.get().pk: Inspection(1, 0, 1, 0, 0)}
    _refused(lambda: return_inspect(request, counts, actor=staff), "return_not_open")
    return_authorise(request, actor=staff)
    return_inspect(request, counts, actor=staff)
    _refused(lambda: return_inspect(request, counts, actor=staff), "already_received")
    _refused(lambda: return_inspect(request, {}, actor=staff), "already_received")


def test_the_refund_then_the_inspection_closes_the_return(storefront, centre):
    request, staff = _received(storefront, quantity=2)
    line = request.lines.get()
    refund = refund_record(request, amount="50.00", actor=staff)
    assert refund.lines == {str(line.pk): 2}
    assert refund.currency == "USD"
    request.refresh_from_db()
    assert request.status == Status.OPEN
    _refused(lambda: refund_record(request, amount="1.00", actor=staff), "already_refunded")
    return_inspect(request, {line.pk: Inspection(2, 0, 2, 0, 0)}, actor=staff)
    request.refresh_from_db()
    assert request.status == Status.CLOSED


def test_the_inspection_then_the_refund_closes_the_return(storefront, centre):
    request, staff = _received(storefront, quantity=1)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 0, 1, 0, 0)}, actor=staff)
    refund_record(request, amount="30.00", shipping_included=True, actor=staff)
    request.refresh_from_db()
    assert request.status == Status.CLOSED
    assert Event.objects.get(kind="refund.recorded").payload == {
        "refund": request.refund.pk,
        "amount": "30.00",
        "currency": "USD",
        "shipping_included": True,
    }


@pytest.mark.parametrize(
    ("amount", "lines", "code", "field"),
    [
        ("25.01", None, "refund_too_high", "amount"),  # one unit of 25.00 without shipping
        ("-1", None, "invalid_amount", "amount"),
        ("1.234", None, "invalid_amount", "amount"),
        ("abc", None, "invalid_amount", "amount"),
        ("5.00", {0: 1}, "invalid_refund_lines", "lines"),
        ("5.00", "two", "invalid_refund_lines", "lines"),
    ],
)
def test_refunds_that_do_not_fit_are_refused(storefront, centre, amount, lines, code, field):
    request, staff = _received(storefront, quantity=1)
    line = request.lines.get()
    given = {line.pk: 2} if lines == "two" else lines
    _refused(lambda: refund_record(request, amount=amount, lines=given, actor=staff), code, field)
    assert not Refund.objects.exists()


def test_a_refund_needs_an_open_return(storefront, centre):
    request = open_return(storefront, delivered(storefront))
    _refused(lambda: refund_record(request, amount="1.00", actor=operator()), "return_not_open")


# --- Chargeback appeals ------------------------------------------------------------------------


def _charged(storefront):
    request, staff = _received(storefront, quantity=1)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 1, 0, 1, 0)}, actor=staff)
    chargeback = Chargeback.objects.get()
    return chargeback, member_of(request.listing), staff


def test_an_upheld_appeal_gives_the_chargeback_back(storefront, centre):
    chargeback, member, staff = _charged(storefront)
    balance = supplier_balance(chargeback.supplier_id)
    chargeback_appeal(chargeback, text="The unit was fine when shipped", actor=member)
    assert chargeback.status == Chargeback.Status.APPEALED
    chargeback_decide(chargeback, uphold=True, note="Photos show transit damage", actor=staff)
    chargeback.refresh_from_db()
    assert chargeback.status == Chargeback.Status.UPHELD
    reversal = chargeback.reversal
    assert reversal.kind == LedgerEntry.Kind.CHARGEBACK_REVERSAL
    assert reversal.corrects_id == chargeback.entry_id
    assert reversal.amount == Decimal("35.00")
    assert supplier_balance(chargeback.supplier_id) == balance + Decimal("35.00")
    assert [e.kind for e in Event.objects.filter(kind__startswith="chargeback.")] == [
        "chargeback.upheld",
        "chargeback.appealed",
        "chargeback.charged",
    ]


def test_a_dismissed_appeal_leaves_the_chargeback_standing(storefront, centre):
    chargeback, member, staff = _charged(storefront)
    chargeback_appeal(chargeback, text="Not ours", actor=member)
    _refused(
        lambda: chargeback_decide(chargeback, uphold=False, note="", actor=staff),
        "note_required",
        "note",
    )
    chargeback_decide(chargeback, uphold=False, note="The defect is the factory's", actor=staff)
    chargeback.refresh_from_db()
    assert chargeback.status == Chargeback.Status.DISMISSED
    assert chargeback.reversal is None
    assert chargeback.decision_note == "The defect is the factory's"
    _refused(
        lambda: chargeback_decide(chargeback, uphold=True, note="changed", actor=staff),
        "invalid_transition",
    )


def test_an_appeal_after_the_window_or_by_another_supplier_is_refused(storefront, centre):
    chargeback, member, _staff = _charged(storefront)
    rival = member_of(ListingFactory())
    _refused(
        lambda: chargeback_appeal(chargeback, text="x", actor=rival),
        "not_found",
        kind=ErrorKind.NOT_FOUND,
    )
    _refused(lambda: chargeback_appeal(chargeback, text=" ", actor=member), "appeal_text_required")
    Chargeback.objects.filter(pk=chargeback.pk).update(
        charged_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    chargeback.refresh_from_db()
    _refused(
        lambda: chargeback_appeal(chargeback, text="late", actor=member), "appeal_window_closed"
    )
    assert Chargeback.objects.get().status == Chargeback.Status.STANDING


def test_restocking_refuses_nothing_and_makes_missing_overseas_stock(storefront, centre):
    from catalogue.services.overseas_restock import overseas_stock_restock
    from logistics.services.stock import stock_return

    listing = ListingFactory(supplier=funded_supplier(), mode=Listing.Mode.SEMI_MANAGED)
    _refused(
        lambda: stock_return(listing, centre, 0, reference="x", actor=None), "invalid_quantity"
    )
    _refused(
        lambda: overseas_stock_restock(listing, market="US", quantity=0, actor=None),
        "invalid_quantity",
    )
    assert overseas_stock_restock(listing, market="AU", quantity=2, actor=None).quantity == 2
    managed = ListingFactory(supplier=funded_supplier())
    _refused(
        lambda: overseas_stock_restock(managed, market="US", quantity=1, actor=None),
        "not_semi_managed",
    )
