"""JIT orders from the storefront to the warehouse: each move through one function here, checked
against `JIT_ORDER_MACHINE` (orders/models.py) by marketplace.states.transition, with the tally's
change and an event (and so a webhook). Penalties are assessed by the sweep (services.sweep),
which the moves here wake up after they commit; appeals move them by `PENALTY_MACHINE`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing, Market
from compliance.selectors.answer import compliance_answer, compliance_blocked, listing_answers
from marketplace.celery import enqueue_on_commit
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.models import Supplier
from suppliers.selectors import supplier_id_for

from ..models import (
    JIT_ORDER_MACHINE,
    PENALTY_MACHINE,
    Appeal,
    AppealAttachment,
    InspectionPhoto,
    JitOrder,
    Penalty,
)
from ..rules import rules
from ..tally import tally_share, tally_update
from ..tasks import sweep_jit_deadlines_task
from .reversals import penalties_reverse_escaped, penalty_uncount

Status = JitOrder.Status
# SF Express waybills: "SF" and 12 to 15 digits (or 12 digits alone on older labels).
# What JitOrder.goods_value (14 digits, 2 of them decimals) can hold.
GOODS_VALUE_LIMIT = Decimal(10) ** 12
WAYBILL = re.compile(r"^(SF\d{12,15}|\d{12})$")


def _sweep_soon() -> None:
    enqueue_on_commit(sweep_jit_deadlines_task)


def jit_order_create(
    *,
    listing_id: int,
    quantity: int,
    external_id: str,
    actor: User,
    ordered_at: datetime | None = None,
    market: str | None = None,
) -> JitOrder:
    """The storefront's order on a JIT listing; the supply price is frozen on the order. Refused
    with 422 `compliance_blocked` where the compliance answer does not hold: in `market` when
    given, else in every market the listing is priced in (`compliance_gate`)."""
    most = settings.JIT_MAX_UNITS_PER_ORDER
    if not 1 <= quantity <= most:
        raise DomainError(
            "invalid_quantity",
            _("Order between 1 and %(most)d units.") % {"most": most},
            fields={"quantity": [_("Between 1 and %(most)d.") % {"most": most}]},
            kind=ErrorKind.INVALID,
        )
    listing = (
        Listing.objects.select_related("supplier", "product__category")
        .filter(pk=listing_id)
        .first()
    )
    if listing is None:
        raise DomainError(
            "listing_not_found",
            _("No such listing."),
            fields={"listing": [_("Unknown.")]},
            kind=ErrorKind.INVALID,
        )
    if not listing.is_jit:
        raise DomainError(
            "listing_not_jit", _("This listing is not sold as JIT."), kind=ErrorKind.INVALID
        )
    if listing.status != Listing.Status.LIVE:
        raise DomainError("listing_not_live", _("This listing is not live."))
    if listing.supplier.jit_status != Supplier.JitStatus.ENROLLED:
        raise DomainError("supplier_jit_paused", _("The supplier's JIT is paused; try later."))
    if listing.supplier.status != Supplier.Status.ACTIVE:
        raise DomainError("supplier_not_active", _("The supplier is not active."))
    if listing.supply_price_cny is None:
        raise DomainError("no_supply_price", _("This listing has no agreed supply price."))
    compliance_gate(listing, market)
    goods_value = listing.supply_price_cny * quantity
    if goods_value >= GOODS_VALUE_LIMIT:
        raise DomainError(
            "invalid_quantity",
            _("The order's goods value is too large."),
            fields={"quantity": [_("Too many units at this price.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        order = JitOrder.objects.create(
            listing=listing,
            supplier=listing.supplier,
            external_id=external_id,
            placed_by=actor,
            quantity=quantity,
            unit_supply_price=listing.supply_price_cny,
            goods_value=goods_value,
            ordered_at=ordered_at or timezone.now(),
        )
        tally_update([], [tally_share(order)])
        record_event(
            "order.created",
            actor=actor,
            supplier_id=order.supplier_id,
            subject=order,
            payload={
                "quantity": quantity,
                "goods_value": str(order.goods_value),
                "deadline": (order.ordered_at + rules().ship_within).isoformat(),
            },
        )
    return order


def compliance_gate(listing: Listing, market: str | None) -> None:
    """The order gate (SPEC, "Compliance", Gates): a consumer order (and a JIT order) is refused
    with 422 `compliance_blocked`, every reason in the body, in a market where the compliance
    answer does not hold; a JIT order placed without a market, where it holds in none of the
    markets the listing is priced in. Two queries (`listing` with its product and category)."""
    if market is not None:
        answer = compliance_answer(listing, market)
        if not answer.may_sell:
            raise compliance_blocked([answer])
        return
    result = listing_answers(listing, Market.values)
    considered = sorted(result.priced) or list(Market.values)
    if not result.holding(considered):
        raise compliance_blocked(result.answers[m] for m in considered)


def _tally_and_sweep(locked: JitOrder, before: JitOrder) -> None:
    """Every move of a JIT order: the tally takes the order's share as it was and adds it as it
    is now, and the sweep looks at it after commit."""
    tally_update([tally_share(before)], [tally_share(locked)])
    _sweep_soon()


def _require_member(order: JitOrder, actor: User) -> None:
    if supplier_id_for(actor) != order.supplier_id:
        raise DomainError("not_found", _("No such order."), kind=ErrorKind.NOT_FOUND)


def validate_waybill(waybill: str) -> str:
    value = waybill.strip().upper()
    if not WAYBILL.match(value):
        raise DomainError(
            "invalid_waybill",
            _("%(waybill)s is not an SF Express waybill number (SF and 12 to 15 digits).")
            % {"waybill": waybill},
            fields={
                "waybill": [_("Not an SF Express waybill: %(waybill)s") % {"waybill": waybill}]
            },
            kind=ErrorKind.INVALID,
        )
    return value


def order_ship(order: JitOrder, *, waybill: str, actor: User) -> JitOrder:
    """The supplier hands the goods to SF Express for the JIT warehouse. An order the sweep
    failed after 72 h unshipped may still be recorded as shipped: the carrier's first scan,
    when it comes, is the time of shipment, and reverses the penalties of the deadlines it
    met. A stockout the supplier declared stays failed."""
    _require_member(order, actor)
    value = validate_waybill(waybill)

    def check(locked: JitOrder) -> None:
        if locked.stockout_declared_at is not None:
            raise JIT_ORDER_MACHINE.refuse(locked.status, Status.SHIPPED)

    return transition(
        order,
        JIT_ORDER_MACHINE,
        Status.SHIPPED,
        actor=actor,
        check=check,
        changes={"waybill": value, "shipment_recorded_at": timezone.now()},
        then=_tally_and_sweep,
    )


def orders_ship_many(
    orders_and_waybills: list[tuple[JitOrder, str]], *, actor: User
) -> list[JitOrder]:
    """Ship several orders at once: every waybill is checked first; all ship or none."""
    errors = {}
    for order, waybill in orders_and_waybills:
        _require_member(order, actor)
        try:
            validate_waybill(waybill)
        except DomainError as error:
            errors[f"waybill_{order.pk}"] = error.fields["waybill"]
    if errors:
        raise DomainError(
            "invalid_waybill",
            _("Some waybill numbers are wrong."),
            fields=errors,
            kind=ErrorKind.INVALID,
        )
    # In the order of their deadlines: two batches of one supplier's orders then take the
    # tally rows they share in the same order (orders.tally), never each waiting for the other.
    ship_order = sorted(
        range(len(orders_and_waybills)),
        key=lambda i: (orders_and_waybills[i][0].ordered_at, orders_and_waybills[i][0].pk),
    )
    shipped: dict[int, JitOrder] = {}
    with transaction.atomic():
        for i in ship_order:
            order, waybill = orders_and_waybills[i]
            shipped[i] = order_ship(order, waybill=waybill, actor=actor)
    return [shipped[i] for i in range(len(orders_and_waybills))]


def order_first_scan(*, waybill: str, scanned_at: datetime, actor: User) -> list[JitOrder]:
    """The carrier's scan of a waybill; the earliest is the official time of shipment of every
    order shipped under it (a supplier may pack several orders in one parcel). A later or
    duplicate scan changes nothing; an earlier one (arriving out of order) replaces it. A scan
    in the future (beyond SCAN_CLOCK_SKEW_SECONDS) or before an order was placed is refused."""
    value = validate_waybill(waybill)
    skew = timedelta(seconds=settings.SCAN_CLOCK_SKEW_SECONDS)
    if scanned_at > timezone.now() + skew:
        raise DomainError(
            "scan_in_future",
            _("The scan time is in the future."),
            fields={"scanned_at": [_("In the future.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        orders = list(JitOrder.objects.select_for_update().filter(waybill=value).order_by("pk"))
        if not orders:
            raise DomainError(
                "unknown_waybill",
                _("No JIT order has this waybill."),
                fields={"waybill": [_("Unknown.")]},
                kind=ErrorKind.NOT_FOUND,
            )
        if any(scanned_at < order.ordered_at for order in orders):
            raise DomainError(
                "scan_before_order",
                _("The scan time is before the order was placed."),
                fields={"scanned_at": [_("Before the order was placed.")]},
                kind=ErrorKind.INVALID,
            )
        changed, before, after = False, [], []
        for order in orders:
            if order.first_scan_at is not None and order.first_scan_at <= scanned_at:
                continue
            changed = True
            before.append(tally_share(order))
            order.first_scan_at = scanned_at
            order.save(update_fields=["first_scan_at"])
            after.append(tally_share(order))
            record_event(
                "order.scanned",
                actor=actor,
                supplier_id=order.supplier_id,
                subject=order,
                payload={"first_scan_at": scanned_at.isoformat()},
            )
        tally_update(before, after)
        if changed:
            # The scan may show shipment before deadlines the sweep already judged.
            penalties_reverse_escaped(orders, actor=actor)
            _sweep_soon()
    return orders


def order_declare_stockout(order: JitOrder, *, reason: str, actor: User) -> JitOrder:
    _require_member(order, actor)
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why the goods cannot be supplied."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return transition(
        order,
        JIT_ORDER_MACHINE,
        Status.FAILED_STOCKOUT,
        actor=actor,
        reason=reason.strip(),
        changes={"stockout_declared_at": timezone.now(), "stockout_reason": reason.strip()},
        then=_tally_and_sweep,
    )


def order_cancel(order: JitOrder, *, actor: User, reason: str = "") -> JitOrder:
    """The consumer cancelled before shipment: no penalty."""
    return transition(
        order,
        JIT_ORDER_MACHINE,
        Status.CANCELLED,
        actor=actor,
        reason=reason,
        changes={"cancelled_at": timezone.now()},
        then=_tally_and_sweep,
    )


def order_receive(order: JitOrder, *, quantity: int, actor: User) -> JitOrder:
    """The JIT warehouse records what arrived: `quantity` is the units counted, which may fall
    short of (or exceed) the order."""
    most = settings.JIT_MAX_UNITS_PER_ORDER
    if not 0 <= quantity <= most:
        raise DomainError(
            "invalid_quantity",
            _("Count between 0 and %(most)d units.") % {"most": most},
            fields={"received_quantity": [_("Between 0 and %(most)d.") % {"most": most}]},
            kind=ErrorKind.INVALID,
        )
    return transition(
        order,
        JIT_ORDER_MACHINE,
        Status.RECEIVED,
        actor=actor,
        changes={"received_at": timezone.now(), "received_quantity": quantity},
        then=_tally_and_sweep,
    )


def order_inspect(
    order: JitOrder,
    *,
    accept: bool,
    actor: User,
    defect_notes: str = "",
    photos: Iterable[File] = (),
) -> JitOrder:
    """The warehouse accepts the goods, or rejects them for quality with the defects found and
    photos of them (stored with the rejection, or not at all)."""
    if not accept and not defect_notes.strip():
        raise DomainError(
            "defects_required",
            _("Describe the defects found."),
            fields={"defect_notes": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )

    def then(locked: JitOrder, before: JitOrder) -> None:
        _tally_and_sweep(locked, before)
        InspectionPhoto.objects.bulk_create(
            InspectionPhoto(order=locked, image=photo) for photo in photos
        )

    return transition(
        order,
        JIT_ORDER_MACHINE,
        Status.ACCEPTED if accept else Status.REJECTED_QUALITY,
        actor=actor,
        reason=defect_notes.strip(),
        changes={"inspected_at": timezone.now(), "defect_notes": defect_notes.strip()},
        then=then,
    )


# --- Appeals --------------------------------------------------------------------------------------


def penalty_appeal(
    penalty: Penalty, *, reason: str, actor: User, attachments: Iterable[File] = ()
) -> Appeal:
    """The supplier appeals within the appeal window (7 days by default) with a reason and its
    evidence (stored with the appeal, or not at all)."""
    if supplier_id_for(actor) != penalty.supplier_id:
        raise DomainError("not_found", _("No such penalty."), kind=ErrorKind.NOT_FOUND)
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why the penalty is wrong."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    if timezone.now() > penalty.appeal_until:
        raise DomainError(
            "appeal_window_closed",
            _("Penalties can be appealed within %(days)d days.") % {"days": rules().appeal_days},
        )
    with transaction.atomic():
        locked = Penalty.objects.select_for_update().get(pk=penalty.pk)
        if locked.status == Penalty.Status.REVERSED:
            raise DomainError(
                "penalty_reversed",
                _("This penalty was already reversed: %(reason)s")
                % {"reason": locked.reversal_reason},
            )
        if locked.status != Penalty.Status.ASSESSED:
            raise DomainError("already_appealed", _("This penalty has already been appealed."))
        appeal = Appeal.objects.create(penalty=locked, reason=reason.strip(), submitted_by=actor)
        for attachment in attachments:
            AppealAttachment.objects.create(appeal=appeal, file=attachment)
        transition(
            locked, PENALTY_MACHINE, Penalty.Status.APPEALED, actor=actor, reason=appeal.reason
        )
    return appeal


def appeal_decide(appeal: Appeal, *, waive: bool, reason: str, actor: User) -> Appeal:
    """An operator upholds the penalty or waives it; a waiver posts a reversal entry."""
    from suppliers.services.ledger import ledger_reverse_penalty

    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    order_id = Penalty.objects.filter(appeal=appeal.pk).values_list("order_id", flat=True).get()
    with transaction.atomic():
        # The order first, as the sweep and a carrier's scan lock it, before the appeal, the
        # penalty and (in the posting) the supplier: one lock order, no deadlock.
        order = JitOrder.objects.select_for_update().get(pk=order_id)
        locked = Appeal.objects.select_for_update().select_related("penalty").get(pk=appeal.pk)
        if locked.decision:
            raise DomainError("already_decided", _("This appeal has been decided."))
        penalty = Penalty.objects.select_for_update().get(pk=locked.penalty_id)
        if penalty.status == Penalty.Status.REVERSED:
            raise DomainError(
                "penalty_reversed",
                _("This penalty was already reversed: %(reason)s")
                % {"reason": penalty.reversal_reason},
            )
        locked.decision = Appeal.Decision.WAIVED if waive else Appeal.Decision.UPHELD
        locked.decision_reason, locked.decided_by, locked.decided_at = (
            reason.strip(),
            actor,
            timezone.now(),
        )
        locked.save(update_fields=["decision", "decision_reason", "decided_by", "decided_at"])

        def then(waived: Penalty, before: Penalty) -> None:
            if waive:
                # A waived penalty no longer counts toward the order's cap (SPEC, "Appeals").
                penalty_uncount(order.pk, waived)
                if waived.ledger_entry is not None:
                    ledger_reverse_penalty(waived.ledger_entry, actor=actor, memo=reason.strip())

        transition(
            penalty,
            PENALTY_MACHINE,
            Penalty.Status.WAIVED if waive else Penalty.Status.UPHELD,
            actor=actor,
            reason=locked.decision_reason,
            then=then,
            payload={"amount": str(penalty.amount) if waive else "0"},
        )
    return locked
