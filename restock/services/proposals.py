"""What people do with restock proposals (SPEC, "Demand-driven restock"): the supplier confirms
one (a quantity within the stocking cap and a ship date; the stocking order is issued through
logistics' service) or declines it with a reason; the supplier or an operator snoozes it for some
days; an operator issues the stocking order straight away; an hourly job expires open proposals
nobody answered. Every move locks the proposal's row and is refused unless it is open, so of a
confirm, an operator's issue and the expiry racing for one proposal exactly one wins."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from logistics.models import StockingOrder, Warehouse
from logistics.services.inbound.stocking import stocking_order_issue
from marketplace.errors import DomainError, ErrorKind, invalid_input
from marketplace.events import NewEvent, record_event, record_events_set
from marketplace.formatting import suppliers_today
from marketplace.states import transition
from suppliers.selectors import supplier_id_for

from ..models import RESTOCK_PROPOSAL_MACHINE, RestockProposal
from ..selectors.proposals import CHANGE_PERMISSION, default_hub, ship_by_window

Status = RestockProposal.Status

SNOOZE_DAYS_MAX = 30
# Kept in English on the event; the notification reads it in the supplier's language.
EXPIRED_REASON = gettext_noop("Nobody answered it before it expired.")
REASON_MAX = 300


def _not_found() -> DomainError:
    return DomainError("not_found", _("Not found."), kind=ErrorKind.NOT_FOUND)


def _require_member(proposal: RestockProposal, actor: User) -> None:
    """Only the proposal's supplier's users answer it; to anyone else it does not exist."""
    if supplier_id_for(actor) != proposal.supplier_id:
        raise _not_found()


def _is_operator(actor: User) -> bool:
    return (
        supplier_id_for(actor) is None
        and not hasattr(actor, "api_client")
        and actor.has_perm(CHANGE_PERMISSION)
    )


def _require_operator(actor: User) -> None:
    if supplier_id_for(actor) is not None:
        raise _not_found()
    if not _is_operator(actor):
        raise DomainError(
            "forbidden",
            _("Only operators issue restock proposals directly."),
            kind=ErrorKind.FORBIDDEN,
        )


def _require_open(locked: RestockProposal, target: str) -> None:
    if locked.status != Status.OPEN:
        raise RESTOCK_PROPOSAL_MACHINE.refuse(locked.status, target)


def _quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise invalid_input(
            "invalid_quantity", "quantity", _("Ask for at least 1 unit, as a whole number.")
        )
    return value


def _hub(proposal: RestockProposal, warehouse: Warehouse | None) -> Warehouse:
    hub = warehouse or default_hub(proposal.listing)
    if hub is None:
        raise DomainError(
            "no_hub",
            _("There is no active platform hub to stock."),
            fields={"warehouse": [_("No active platform hub.")]},
            kind=ErrorKind.CONFLICT,
        )
    return hub


def _lock(proposal: RestockProposal) -> RestockProposal:
    return (
        RestockProposal.objects.select_for_update(of=("self",))
        .select_related("listing")
        .get(pk=proposal.pk)
    )


def _lock_and_issue(
    proposal: RestockProposal,
    target: str,
    *,
    actor: User,
    quantity: int,
    warehouse: Warehouse,
    now: datetime,
) -> tuple[RestockProposal, StockingOrder]:
    """In the caller's transaction: lock the proposal, refuse unless it is open, and issue its
    stocking order (the service checks the cap on the locked listing)."""
    locked = _lock(proposal)
    _require_open(locked, target)
    order = stocking_order_issue(
        locked.listing,
        quantity=quantity,
        warehouse=warehouse,
        actor=actor,
        urgent=locked.urgent,
        now=now,
    )
    return locked, order


def _copy(proposal: RestockProposal, moved: RestockProposal) -> RestockProposal:
    for name in ("status", "stocking_order", "decided_at", "decided_by", "updated_at", "ship_by"):
        setattr(proposal, name, getattr(moved, name))
    return moved


def proposal_confirm(
    proposal: RestockProposal,
    *,
    actor: User,
    quantity: Any,
    ship_by: Any,
    now: datetime | None = None,
) -> RestockProposal:
    """The supplier confirms an open proposal: `quantity` units (at least 1; within the listing's
    stocking cap less its open stocking orders, as the stocking-order service counts it), to
    ship by `ship_by` (from its today to the last day of the stocking order). The stocking order
    is issued (urgent when the proposal is) to the listing's hub, linked, and the proposal is
    confirmed with the ship date kept."""
    _require_member(proposal, actor)
    quantity = _quantity(quantity)
    now = now or timezone.now()
    if not isinstance(ship_by, date) or isinstance(ship_by, datetime):
        raise invalid_input("invalid_ship_by", "ship_by", _("Give the ship date as a date."))
    first, last = ship_by_window(proposal, suppliers_today(now))
    if not first <= ship_by <= last:
        raise invalid_input(
            "invalid_ship_by",
            "ship_by",
            _("Choose a ship date from %(first)s to %(last)s (the stocking order's last day).")
            % {"first": date_format(first), "last": date_format(last)},
        )
    warehouse = _hub(proposal, None)
    with transaction.atomic():
        locked, order = _lock_and_issue(
            proposal, Status.CONFIRMED, actor=actor, quantity=quantity, warehouse=warehouse, now=now
        )
        moved = transition(
            locked,
            RESTOCK_PROPOSAL_MACHINE,
            Status.CONFIRMED,
            actor=actor,
            changes={
                "stocking_order": order,
                "ship_by": ship_by,
                "decided_at": now,
                "decided_by": actor,
                "updated_at": now,
            },
            payload={
                "listing": locked.listing_id,
                "quantity": quantity,
                "stocking_order": order.pk,
                "ship_by": ship_by.isoformat(),
            },
        )
    return _copy(proposal, moved)


def proposal_issue(
    proposal: RestockProposal,
    *,
    actor: User,
    quantity: Any = None,
    warehouse: Warehouse | None = None,
    now: datetime | None = None,
) -> RestockProposal:
    """An operator issues the stocking order of an open proposal straight away, for the proposed
    quantity unless another is given, to the listing's hub unless another is given."""
    _require_operator(actor)
    quantity = proposal.quantity if quantity is None else _quantity(quantity)
    now = now or timezone.now()
    hub = _hub(proposal, warehouse)
    with transaction.atomic():
        locked, order = _lock_and_issue(
            proposal, Status.ISSUED, actor=actor, quantity=quantity, warehouse=hub, now=now
        )
        moved = transition(
            locked,
            RESTOCK_PROPOSAL_MACHINE,
            Status.ISSUED,
            actor=actor,
            changes={
                "stocking_order": order,
                "decided_at": now,
                "decided_by": actor,
                "updated_at": now,
            },
            payload={
                "listing": locked.listing_id,
                "quantity": quantity,
                "stocking_order": order.pk,
            },
        )
    return _copy(proposal, moved)


def proposal_decline(proposal: RestockProposal, *, actor: User, reason: str) -> RestockProposal:
    """The supplier declines an open proposal, saying why (operators read it)."""
    _require_member(proposal, actor)
    reason = (reason or "").strip()
    if not reason:
        raise invalid_input("reason_required", "reason", _("Say why you decline the proposal."))
    if len(reason) > REASON_MAX:
        raise invalid_input(
            "reason_too_long", "reason", _("At most %(n)d characters.") % {"n": REASON_MAX}
        )
    now = timezone.now()
    return transition(
        proposal,
        RESTOCK_PROPOSAL_MACHINE,
        Status.DECLINED,
        actor=actor,
        reason=reason,
        check=lambda locked: _require_open(locked, Status.DECLINED),
        changes={
            "decline_reason": reason,
            "decided_at": now,
            "decided_by": actor,
            "updated_at": now,
        },
        payload={"listing": proposal.listing_id, "quantity": proposal.quantity},
    )


def snooze_expiry(until: date) -> datetime:
    """A snoozed proposal expires RESTOCK_PROPOSAL_DAYS after the end of its last snoozed day
    (China's date)."""
    zone = zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    return end + timedelta(days=settings.RESTOCK_PROPOSAL_DAYS)


def proposal_snooze(
    proposal: RestockProposal, *, actor: User, days: Any, now: datetime | None = None
) -> RestockProposal:
    """The supplier or an operator snoozes an open proposal for 1 to 30 days: the planning job
    leaves it alone and it does not expire until RESTOCK_PROPOSAL_DAYS after the last snoozed
    day. Snoozing again counts from today."""
    if supplier_id_for(actor) is not None:
        _require_member(proposal, actor)
    elif not _is_operator(actor):
        raise DomainError(
            "forbidden",
            _("Only the supplier or an operator snoozes a restock proposal."),
            kind=ErrorKind.FORBIDDEN,
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= SNOOZE_DAYS_MAX:
        raise invalid_input(
            "invalid_days",
            "days",
            _("Snooze for 1 to %(n)d days.") % {"n": SNOOZE_DAYS_MAX},
        )
    now = now or timezone.now()
    until = suppliers_today(now) + timedelta(days=days)
    with transaction.atomic():
        locked = _lock(proposal)
        if locked.status != Status.OPEN:
            raise DomainError(
                "not_open",
                _("Only an open proposal can be snoozed; this one is %(status)s.")
                % {"status": locked.get_status_display().lower()},
                kind=ErrorKind.CONFLICT,
            )
        locked.snoozed_until = until
        locked.expires_at = snooze_expiry(until)
        locked.updated_at = now
        locked.save(update_fields=["snoozed_until", "expires_at", "updated_at"])
        record_event(
            "restock_proposal.snoozed",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={
                "listing": locked.listing_id,
                "quantity": locked.quantity,
                "days": days,
                "snoozed_until": until.isoformat(),
            },
        )
    proposal.snoozed_until, proposal.expires_at = locked.snoozed_until, locked.expires_at
    proposal.updated_at = now
    return locked


def expire_proposals(now: datetime | None = None) -> int:
    """Open proposals past their expiry, not snoozed (or snoozed until before today), expire:
    one locking read (rows being answered meanwhile are skipped: their answer wins, or the next
    run expires them), one UPDATE, one insert of their events. Returns how many expired."""
    now = now or timezone.now()
    today = suppliers_today(now)
    with transaction.atomic():
        due = list(
            RestockProposal.objects.select_for_update(skip_locked=True)
            .filter(status__in=RESTOCK_PROPOSAL_MACHINE.sources(Status.EXPIRED))
            .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lt=today))
            .filter(status=Status.OPEN, expires_at__lt=now)
            .values_list("pk", "listing_id", "supplier_id", "quantity")
        )
        if not due:
            return 0
        RestockProposal.objects.filter(pk__in=[row[0] for row in due]).update(
            status=Status.EXPIRED, updated_at=now
        )
        record_events_set(
            NewEvent(
                "restock_proposal.expired",
                supplier_id=supplier,
                subject_ref=(RestockProposal, pk),
                reason=EXPIRED_REASON,
                payload={
                    "from": Status.OPEN.value,
                    "to": Status.EXPIRED.value,
                    "listing": listing,
                    "quantity": quantity,
                },
            )
            for pk, listing, supplier, quantity in due
        )
    return len(due)
