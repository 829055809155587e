"""Stocking orders: the platform asks a supplier to stock a fully-managed listing; the supplier
accepts or declines; an open order lapses unshipped at its expiry (a daily job). Its moves are
`STOCKING_ORDER_MACHINE` (logistics/models.py); it becomes shipped when the first of its
shipments leaves (shipments.inbound_transition)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing, ListingReturnRate
from catalogue.services.caps import stocking_cap
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.selectors import standing_of

from ...models import (
    STOCKING_ORDER_MACHINE,
    InboundShipment,
    StockingOrder,
    Warehouse,
)
from .common import MAX_UNITS, require_member, require_reason

SO = StockingOrder.Status
IS = InboundShipment.Status


def listing_stocking_cap(listing: Listing) -> int | None:
    """The catalogue's stocking cap for this listing, from its first batch's inspection and its
    latest 30-day return rate (the return-rate job's ListingReturnRate row, the same figure the
    return-rate feedback judges). No row yet: no data, so the cap depends on the first batch
    alone. A supplier standing poor or very poor (its latest scorecard) keeps every listing at
    STOCKING_CAP_UNITS whatever the listing's own record; a new one (no scorecard) does not."""
    latest = (
        ListingReturnRate.objects.filter(listing=listing)
        .order_by("-day")
        .values_list("units_sold", "rate")
        .first()
    )
    sold, rate = latest if latest is not None else (0, None)
    return stocking_cap(
        first_batch_passed=listing.first_batch_accepted_at is not None,
        return_rate=rate,
        units_sold=sold,
        standing=standing_of(listing.supplier_id),
    )


def stocking_order_issue(
    listing: Listing,
    *,
    quantity: int,
    warehouse: Warehouse,
    actor: User | None,
    urgent: bool = False,
    now: datetime | None = None,
) -> StockingOrder:
    """The platform asks the listing's supplier to stock it (fully managed, live or paused for
    stock), within the stocking cap; the order lapses unshipped after 14 days (urgent: 7)."""
    if listing.mode != Listing.Mode.FULLY_MANAGED:
        raise DomainError(
            "not_fully_managed",
            _("Only fully-managed listings are stocked by the platform."),
            fields={"listing": [_("Not fully managed.")]},
            kind=ErrorKind.INVALID,
        )
    if not 1 <= quantity <= MAX_UNITS:
        raise DomainError(
            "invalid_quantity",
            _("Ask for between 1 and %(n)d units.") % {"n": MAX_UNITS},
            fields={"quantity": [_("Between 1 and %(n)d.") % {"n": MAX_UNITS}]},
            kind=ErrorKind.INVALID,
        )
    if not warehouse.is_active or warehouse.kind != Warehouse.Kind.HUB:
        raise DomainError(
            "invalid_warehouse",
            _("Stock goes to an active platform hub."),
            fields={"warehouse": [_("Not an active platform hub.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        cap = listing_stocking_cap(locked)
        if cap is not None:
            open_units = (
                StockingOrder.objects.filter(
                    listing=locked, status__in=StockingOrder.OPEN
                ).aggregate(n=Sum("quantity"))["n"]
                or 0
            )
            if open_units + quantity > cap:
                raise DomainError(
                    "over_stocking_cap",
                    _(
                        "A new listing may be stocked with at most %(cap)d units until its first "
                        "batch passes inspection (%(open)d already asked for)."
                    )
                    % {"cap": cap, "open": open_units},
                    fields={"quantity": [_("At most %(n)d.") % {"n": max(cap - open_units, 0)}]},
                    kind=ErrorKind.INVALID,
                )
        issued = now or timezone.now()
        days = settings.STOCKING_ORDER_URGENT_DAYS if urgent else settings.STOCKING_ORDER_DAYS
        order = StockingOrder.objects.create(
            supplier_id=locked.supplier_id,
            listing=locked,
            warehouse=warehouse,
            quantity=quantity,
            urgent=urgent,
            issued_at=issued,
            expires_at=issued + timedelta(days=days),
            issued_by=actor,
        )
        record_event(
            "stocking.issued",
            actor=actor,
            supplier_id=order.supplier_id,
            subject=order,
            payload={
                "listing": locked.pk,
                "quantity": quantity,
                "warehouse": warehouse.code,
                "expires_at": order.expires_at.isoformat(),
            },
        )
    return order


def stocking_order_transition(
    order: StockingOrder, target: str, *, actor: User | None, reason: str = ""
) -> StockingOrder:
    reason = reason.strip()

    def check(locked: StockingOrder) -> None:
        # Checked once the table allows the move: a closed order is refused as such.
        if target == SO.CANCELLED:
            require_reason(reason, _("Say why the order is cancelled."))

    return transition(
        order,
        STOCKING_ORDER_MACHINE,
        target,
        actor=actor,
        reason=reason,
        check=check,
        changes={"status_reason": reason},
    )


def stocking_order_cancel(order: StockingOrder, *, actor: User, reason: str) -> StockingOrder:
    """An operator cancels an open stocking order, saying why (the supplier reads it)."""
    return stocking_order_transition(order, SO.CANCELLED, actor=actor, reason=reason)


def stocking_order_accept(order: StockingOrder, *, actor: User) -> StockingOrder:
    require_member(order.supplier_id, actor)
    return stocking_order_transition(order, SO.ACCEPTED, actor=actor)


def stocking_order_decline(order: StockingOrder, *, actor: User, reason: str) -> StockingOrder:
    require_member(order.supplier_id, actor)
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    return stocking_order_transition(order, SO.DECLINED, actor=actor, reason=reason.strip())


def lapse_stocking_orders(*, now: datetime | None = None) -> int:
    """Open stocking orders past their expiry with nothing on the way lapse. Returns how many."""
    now = now or timezone.now()
    lapsed = 0
    due = StockingOrder.objects.filter(
        status__in=STOCKING_ORDER_MACHINE.sources(SO.LAPSED), expires_at__lte=now
    ).exclude(
        shipments__status__in=[IS.IN_TRANSIT, IS.ARRIVED, IS.RECEIVING, IS.RECEIVED, IS.CLOSED]
    )
    for order in due.order_by("pk").iterator():
        try:
            stocking_order_transition(
                order, SO.LAPSED, actor=None, reason=_("Not shipped before it expired.")
            )
        except DomainError:
            continue  # moved meanwhile
        lapsed += 1
    return lapsed
