"""A return's life (SPEC, "Returns"): the storefront opens it for items of a delivered parcel,
within RETURN_WINDOW_DAYS of delivery; an operator authorises it (requested → open: the consumer
sends the goods to the market's return centre) or declines it; the storefront may cancel it
until the goods are received; it closes once the goods are inspected and the refund recorded.

A return whose every line is worth less than REFUND_ONLY_BELOW_USD a unit (other currencies at
the day's rate) is refund-only: nothing travels back, so it needs nobody's authorisation. It is
opened, refunded (the lines' value, shipping not included) and closed at once; its lines end
`not restocked` (the consumer keeps the goods), and it charges nobody back: no one inspected
the goods, so no defect is established (the reason still counts toward the listing's return
rate)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from customs.selectors.rates import convert
from logistics.models import Warehouse
from marketplace.errors import DomainError, ErrorKind, invalid_input
from marketplace.events import record_event
from marketplace.formatting import when
from marketplace.states import transition
from shipping.models import Parcel, ParcelItem

from ..models import RETURN_MACHINE, Refund, ReturnLine, ReturnReason, ReturnRequest

Status = ReturnRequest.Status
CENT = Decimal("0.01")
# A storefront's return names a few items of one parcel; more lines than this is no return.
MAX_LINES = 100
# Returns whose units still count against what a parcel item may send back.
LIVE = (Status.REQUESTED, Status.OPEN, Status.CLOSED)


@dataclass(frozen=True)
class LineInput:
    """One line as the storefront asks for it: units of one parcel item, for one reason."""

    item: int
    quantity: int
    reason: str
    note: str = ""


def _reasons(lines: Sequence[LineInput]) -> dict[str, ReturnReason]:
    """The reasons named, each active, with its note where it requires one."""
    known = {
        r.code: r
        for r in ReturnReason.objects.filter(
            code__in={line.reason for line in lines}, is_active=True
        )
    }
    for index, line in enumerate(lines):
        if line.quantity < 1:
            raise invalid_input(
                "invalid_quantity", f"lines[{index}].quantity", _("Return at least one unit.")
            )
        reason = known.get(line.reason)
        if reason is None:
            raise invalid_input(
                "unknown_reason",
                f"lines[{index}].reason",
                _("“%(reason)s” is not a return reason (see return-reasons/).")
                % {"reason": line.reason[:40]},
            )
        if reason.requires_note and not line.note.strip():
            raise invalid_input(
                "note_required",
                f"lines[{index}].note",
                _("Say what is wrong: the reason “%(reason)s” needs a note.")
                % {"reason": reason.label},
            )
    return known


def _refuse_reused_reference(actor: User, external_id: str) -> None:
    existing = (
        ReturnRequest.objects.filter(placed_by=actor, external_id=external_id)
        .values_list("pk", flat=True)
        .first()
    )
    if existing is not None:
        raise DomainError(
            "duplicate_external_id",
            _("Storefront return %(reference)s is already return %(id)d.")
            % {"reference": external_id, "id": existing},
            fields={"external_id": [_("Already used by return %(id)d.") % {"id": existing}]},
            kind=ErrorKind.CONFLICT,
        )


def _delivered_parcel(parcel_id: int, actor: User) -> Parcel:
    """The parcel, locked: two returns of the same items wait here one for the other, so the
    second counts the first one's units (the check of what is left is made under this lock).
    Only a parcel of an order this storefront placed is found."""
    parcel = (
        Parcel.objects.select_for_update(of=("self",))
        .select_related("order", "listing")
        .filter(pk=parcel_id, order__placed_by=actor)
        .first()
    )
    if parcel is None:
        raise invalid_input(
            "parcel_not_found",
            "parcel",
            _("No parcel %(id)s of an order you placed.") % {"id": parcel_id},
            kind=ErrorKind.NOT_FOUND,
        )
    if parcel.status != Parcel.Status.DELIVERED or parcel.delivered_at is None:
        raise invalid_input(
            "parcel_not_delivered",
            "parcel",
            _(
                "Parcel %(id)s is not delivered (it is %(status)s): only delivered items can be "
                "returned."
            )
            % {"id": parcel.pk, "status": parcel.get_status_display().lower()},
            kind=ErrorKind.CONFLICT,
        )
    ends = parcel.delivered_at + timedelta(days=settings.RETURN_WINDOW_DAYS)
    if timezone.now() > ends:
        raise invalid_input(
            "return_window_ended",
            "parcel",
            _("The return window of %(days)d days after delivery ended on %(ends)s.")
            % {"days": settings.RETURN_WINDOW_DAYS, "ends": when(ends)},
        )
    return parcel


def _check_left(parcel: Parcel, lines: Sequence[LineInput]) -> dict[int, ParcelItem]:
    """Each item is the parcel's, and no item is sent back more times than it came: the units
    asked for, with those of the parcel's other live returns, stay within the item's quantity."""
    items = {item.pk: item for item in parcel.items.all()}
    for index, line in enumerate(lines):
        if line.item not in items:
            raise invalid_input(
                "item_not_found",
                f"lines[{index}].item",
                _("Parcel %(parcel)s has no item %(item)s.")
                % {"parcel": parcel.pk, "item": line.item},
            )
    taken: dict[int, int] = defaultdict(int)
    for item_id, units in (
        ReturnLine.objects.filter(item__parcel=parcel, request__status__in=LIVE)
        .values("item_id")
        .annotate(units=Sum("quantity"))
        .values_list("item_id", "units")
    ):
        taken[item_id] = units
    for index, line in enumerate(lines):
        item = items[line.item]
        left = item.quantity - taken[item.pk]
        if line.quantity > left:
            raise invalid_input(
                "already_returned",
                f"lines[{index}].quantity",
                _("Only %(left)d of the %(quantity)d units of item %(item)s are left to return.")
                % {"left": max(left, 0), "quantity": item.quantity, "item": item.pk},
                kind=ErrorKind.CONFLICT,
            )
        taken[item.pk] += line.quantity
    return items


def return_centre_of(market: str) -> Warehouse:
    centre = (
        Warehouse.objects.filter(kind=Warehouse.Kind.RETURN_CENTRE, market=market, is_active=True)
        .order_by("pk")
        .first()
    )
    if centre is None:
        raise invalid_input(
            "no_return_centre",
            "parcel",
            _(
                "The marketplace has no return centre in %(market)s yet: the return cannot be "
                "sent back now."
            )
            % {"market": market},
            kind=ErrorKind.CONFLICT,
        )
    return centre


def return_request_create(
    *, parcel_id: int, external_id: str, lines: Sequence[LineInput], actor: User
) -> ReturnRequest:
    """The storefront opens a return of items of a delivered parcel of an order it placed.
    Refused, with the field at fault and nothing written: a parcel not delivered, after the
    window, an item not in the parcel or asked back beyond what is left of it, an unknown
    reason, a note missing, a quantity under one, a reference already used."""
    external_id = external_id.strip()
    if not external_id:
        raise invalid_input("external_id_required", "external_id", _("Required."))
    if not lines:
        raise invalid_input("lines_required", "lines", _("Name at least one item to return."))
    if len(lines) > MAX_LINES:
        raise invalid_input("too_many_lines", "lines", _("At most %(n)d lines.") % {"n": MAX_LINES})
    reasons = _reasons(lines)
    _refuse_reused_reference(actor, external_id)
    today = timezone.localdate()
    try:
        with transaction.atomic():
            parcel = _delivered_parcel(parcel_id, actor)
            items = _check_left(parcel, lines)
            rows = []
            for line in lines:
                value = items[line.item].unit_value
                usd = convert(value, parcel.currency, "USD", today).quantize(CENT)
                rows.append((line, value, usd))
            refund_only = all(usd < settings.REFUND_ONLY_BELOW_USD for _l, _v, usd in rows)
            centre = None if refund_only else return_centre_of(parcel.market)
            request = ReturnRequest.objects.create(
                parcel=parcel,
                order=parcel.order,
                listing=parcel.listing,
                supplier_id=parcel.supplier_id,
                market=parcel.market,
                external_id=external_id,
                placed_by=actor,
                refund_only=refund_only,
                return_centre=centre,
            )
            ReturnLine.objects.bulk_create(
                ReturnLine(
                    request=request,
                    item_id=line.item,
                    quantity=line.quantity,
                    reason=reasons[line.reason],
                    note=line.note.strip()[:500],
                    unit_value=value,
                    unit_value_usd=usd,
                )
                for line, value, usd in rows
            )
            record_event(
                "return.requested",
                actor=actor,
                supplier_id=request.supplier_id,
                subject=request,
                payload={
                    "parcel": parcel.pk,
                    "units": sum(line.quantity for line in lines),
                    "refund_only": refund_only,
                },
            )
            if refund_only:
                _settle_refund_only(request, actor)
    except IntegrityError:
        # The same reference committed meanwhile by a parallel request of this client.
        _refuse_reused_reference(actor, external_id)
        raise
    return request


def _settle_refund_only(request: ReturnRequest, actor: User | None) -> None:
    """Nothing travels back: opened, refunded in full (shipping not included), closed."""
    transition(request, RETURN_MACHINE, Status.OPEN, actor=actor, payload={"return_centre": None})
    lines = list(request.lines.all())
    ReturnLine.objects.filter(request=request).update(not_restocked=F("quantity"))
    refund = Refund.objects.create(
        request=request,
        amount=sum((line.unit_value * line.quantity for line in lines), Decimal("0.00")),
        currency=request.parcel.currency,
        lines={str(line.pk): line.quantity for line in lines},
        shipping_included=False,
        recorded_by=None,
    )
    record_refund_event(refund, actor=actor)
    return_close(request, actor=actor)


def record_refund_event(refund: Refund, *, actor: User | None) -> None:
    request = refund.request
    record_event(
        "refund.recorded",
        actor=actor,
        supplier_id=request.supplier_id,
        subject=request,
        payload={
            "refund": refund.pk,
            "amount": str(refund.amount),
            "currency": refund.currency,
            "shipping_included": refund.shipping_included,
        },
    )


def return_authorise(request: ReturnRequest, *, actor: User) -> ReturnRequest:
    """An operator authorises a return: the consumer sends the goods to the market's return
    centre (named on the return). Authorising an open return again changes nothing."""
    centre = request.return_centre_id or return_centre_of(request.market).pk
    return transition(
        request,
        RETURN_MACHINE,
        Status.OPEN,
        actor=actor,
        changes={"return_centre_id": centre},
        payload={"return_centre": centre},
    )


def return_decline(request: ReturnRequest, *, reason: str, note: str, actor: User) -> ReturnRequest:
    """An operator declines a requested return, saying why (window ended, final sale, or
    another reason with a note)."""
    note = note.strip()
    if reason not in ReturnRequest.DeclineReason.values:
        raise invalid_input("unknown_decline_reason", "reason", _("Choose a reason."))
    if reason == ReturnRequest.DeclineReason.OTHER and not note:
        raise invalid_input("note_required", "note", _("Say why the return is declined."))
    return transition(
        request,
        RETURN_MACHINE,
        Status.DECLINED,
        actor=actor,
        reason=note[:300],
        changes={"decline_reason": reason, "decline_note": note[:300]},
        payload={"decline_reason": reason},
    )


def return_cancel(request: ReturnRequest, *, actor: User) -> ReturnRequest:
    """The storefront withdraws its return before the return centre received the goods (and
    before any refund). Cancelling a cancelled return again changes nothing."""

    def check(locked: ReturnRequest) -> None:
        if locked.received_at is not None or Refund.objects.filter(request=locked).exists():
            raise DomainError(
                "return_received",
                _("The goods were received or refunded: the return can no longer be cancelled."),
            )

    return transition(request, RETURN_MACHINE, Status.CANCELLED, actor=actor, check=check)


def return_close(request: ReturnRequest, *, actor: User | None) -> ReturnRequest:
    """Both halves are done: the goods are accounted for (inspected, or nothing travelled) and
    the refund is recorded. Called by whichever of the two comes last."""

    def check(locked: ReturnRequest) -> None:
        if not locked.refund_only and locked.received_at is None:
            raise DomainError("not_received", _("The goods are not received and inspected yet."))
        if not Refund.objects.filter(request=locked).exists():
            raise DomainError("not_refunded", _("No refund is recorded yet."))

    return transition(request, RETURN_MACHINE, Status.CLOSED, actor=actor, check=check)
