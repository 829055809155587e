"""At the return centre (SPEC, "Returns"): the goods of an open return are received and
inspected, line by line, and each unit given its disposition; apart from that, an operator
records the refund. Whichever of the two comes last closes the return.

Per line: `received` ≤ the line's quantity and `defective` ≤ `received`; the units that did not
arrive are `missing`; the others are `restocked` or `not restocked`, defective ones never
restocked. Defective units are charged back to the supplier (returns.services.chargebacks).
Restocked units go back on sale: a fully-managed listing's into the return centre's stock (a
`return` movement; the platform owns them, it bought them at the sale), a semi-managed one's
into the seller's overseas stock in the market."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing
from catalogue.services.overseas_restock import overseas_stock_restock
from logistics.services.stock import stock_return
from marketplace.errors import DomainError, invalid_input
from marketplace.events import record_event

from ..models import Refund, ReturnLine, ReturnRequest
from .chargebacks import chargeback_charge
from .requests import record_refund_event, return_close

Status = ReturnRequest.Status
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Inspection:
    """What the return centre found of one line, unit by unit."""

    received: int
    defective: int
    restocked: int
    not_restocked: int
    missing: int


def _check(line: ReturnLine, found: Inspection) -> None:
    prefix = f"lines[{line.pk}]"
    values = (
        found.received,
        found.defective,
        found.restocked,
        found.not_restocked,
        found.missing,
    )
    if min(values) < 0:
        raise invalid_input("invalid_quantity", prefix, _("Counts are zero or more."))
    if found.received > line.quantity:
        raise invalid_input(
            "received_too_many",
            f"{prefix}.received",
            _("At most %(n)d units were sent back on this line.") % {"n": line.quantity},
        )
    if found.defective > found.received:
        raise invalid_input(
            "defective_too_many",
            f"{prefix}.defective",
            _("At most the %(n)d units received can be defective.") % {"n": found.received},
        )
    if found.missing != line.quantity - found.received:
        raise invalid_input(
            "missing_mismatch",
            f"{prefix}.missing",
            _("The units not received are missing: %(n)d.") % {"n": line.quantity - found.received},
        )
    if found.restocked + found.not_restocked + found.missing != line.quantity:
        raise invalid_input(
            "dispositions_mismatch",
            f"{prefix}.restocked",
            _("Restocked, not restocked and missing add up to the line's %(n)d units.")
            % {"n": line.quantity},
        )
    if found.restocked > found.received - found.defective:
        raise invalid_input(
            "defective_restocked",
            f"{prefix}.restocked",
            _("Only sound units are restocked: at most %(n)d.")
            % {"n": found.received - found.defective},
        )


def _restock(request: ReturnRequest, line: ReturnLine, units: int, actor: User) -> None:
    listing = request.listing
    if listing.mode == Listing.Mode.SEMI_MANAGED:
        overseas_stock_restock(listing, market=request.market, quantity=units, actor=actor)
        return
    assert request.return_centre is not None
    stock_return(
        listing,
        request.return_centre,
        units,
        reference=f"return:{request.pk}",
        actor=actor,
    )


def return_inspect(
    request: ReturnRequest, found: Mapping[int, Inspection], *, actor: User
) -> ReturnRequest:
    """The return centre received and inspected an open return's goods: every line's counts and
    dispositions at once. Defective units are charged back, sound ones restocked; nothing is
    written if any line is refused. A return is inspected once."""
    with transaction.atomic():
        locked = (
            ReturnRequest.objects.select_for_update(of=("self",))
            .select_related("listing", "order", "return_centre")
            .get(pk=request.pk)
        )
        if locked.status != Status.OPEN or locked.refund_only:
            raise DomainError(
                "return_not_open",
                _("Only an open return that travels back is received (this one is %(status)s).")
                % {"status": locked.get_status_display().lower()},
            )
        if locked.received_at is not None:
            raise DomainError("already_received", _("This return was already received."))
        lines = list(locked.lines.order_by("pk"))
        if set(found) != {line.pk for line in lines}:
            raise invalid_input("lines_required", "lines", _("Inspect every line of the return."))
        now = timezone.now()
        for line in lines:
            counts = found[line.pk]
            _check(line, counts)
            line.received, line.defective = counts.received, counts.defective
            line.restocked, line.not_restocked = counts.restocked, counts.not_restocked
            line.missing, line.inspected_at, line.inspected_by = counts.missing, now, actor
        ReturnLine.objects.bulk_update(
            lines,
            [
                "received",
                "defective",
                "restocked",
                "not_restocked",
                "missing",
                "inspected_at",
                "inspected_by",
            ],
        )
        locked.received_at = now
        locked.save(update_fields=["received_at"])
        record_event(
            "return.received",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={
                "received": sum(line.received for line in lines),
                "defective": sum(line.defective for line in lines),
                "restocked": sum(line.restocked for line in lines),
                "missing": sum(line.missing for line in lines),
            },
        )
        for line in lines:
            line.request = locked
            if line.defective:
                chargeback_charge(line, line.defective, actor=actor)
            if line.restocked:
                _restock(locked, line, line.restocked, actor)
        if Refund.objects.filter(request=locked).exists():
            locked = return_close(locked, actor=actor)
    request.received_at, request.status = locked.received_at, locked.status
    return locked


def _amount(value: Decimal | str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise invalid_input(
            "invalid_amount", "amount", _("An amount of zero or more, with at most two decimals.")
        )
    if amount >= Decimal("10000000000"):
        raise invalid_input("invalid_amount", "amount", _("Not an amount a refund can be."))
    return amount


def refund_record(
    request: ReturnRequest,
    *,
    amount: Decimal | str,
    lines: Mapping[int, int] | None = None,
    shipping_included: bool = False,
    actor: User,
) -> Refund:
    """An operator records the money given back for an open return (in the parcel's currency):
    the lines and units it covers (all of them unless said), and whether the outbound shipping
    is included. Without shipping it is at most the covered units' value. Recorded once."""
    value = _amount(amount)
    with transaction.atomic():
        locked = (
            ReturnRequest.objects.select_for_update(of=("self",))
            .select_related("parcel")
            .get(pk=request.pk)
        )
        if locked.status != Status.OPEN:
            raise DomainError(
                "return_not_open",
                _("A refund is recorded for an open return (this one is %(status)s).")
                % {"status": locked.get_status_display().lower()},
            )
        if Refund.objects.filter(request=locked).exists():
            raise DomainError("already_refunded", _("This return's refund is already recorded."))
        own = {line.pk: line for line in locked.lines.all()}
        covered = dict(lines) if lines is not None else {pk: n.quantity for pk, n in own.items()}
        if not covered:
            raise invalid_input(
                "invalid_refund_lines", "lines", _("The refund covers at least one line.")
            )
        for pk, units in covered.items():
            line = own.get(pk)
            if line is None or not 1 <= units <= line.quantity:
                raise invalid_input(
                    "invalid_refund_lines",
                    "lines",
                    _("Each line of this return, with 1 to its quantity of units."),
                )
        worth = sum((own[pk].unit_value * units for pk, units in covered.items()), Decimal(0))
        if not shipping_included and value > worth:
            raise invalid_input(
                "refund_too_high",
                "amount",
                _("At most %(worth)s %(currency)s for these units (shipping not included).")
                % {"worth": worth.quantize(CENT), "currency": locked.parcel.currency},
            )
        refund = Refund.objects.create(
            request=locked,
            amount=value,
            currency=locked.parcel.currency,
            lines={str(pk): units for pk, units in covered.items()},
            shipping_included=shipping_included,
            recorded_by=actor,
        )
        record_refund_event(refund, actor=actor)
        if locked.received_at is not None:
            return_close(locked, actor=actor)
    return refund
