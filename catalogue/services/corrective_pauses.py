"""Listings follow their supplier's overdue critical corrective actions (SPEC "Compliance",
factory audits; issue 12).

A critical finding's corrective action past its due date and not closed pauses the supplier's
live listings in the finding's category (that category or any below it; a finding with no
category: all the supplier's listings). Each pause is written down (ListingActionPause) with the
listing's status time, so when the action closes the rule puts back exactly the listings it
paused, and only those still paused as it left them: one an operator resumed, paused again or
delisted meanwhile stays as the operator left it. A listing still covered by another overdue
critical action stays paused, now held for that one.

`listings_follow_corrective_actions` is one idempotent sweep (beat runs it every few minutes;
the admin runs it at once): each listing is locked before it is looked at, and at most one open
pause per listing is a unique constraint, so two runs at once pause a listing once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from compliance.models import CorrectiveAction, Finding
from compliance.selectors.audits import capa_today

from ..models import Category, Listing, ListingActionPause
from .listings import available_stock, listing_stock_changed, listing_transition

S = Listing.Status


@dataclass(frozen=True)
class Followed:
    paused: int
    restored: int
    released: int  # let go without putting back on sale (an operator had changed the listing)


@dataclass(frozen=True)
class _Overdue:
    action_id: int
    supplier_id: int
    categories: frozenset[int] | None  # None: every category
    due_on: date


def _below(category_id: int, children: dict[int | None, list[int]]) -> frozenset[int]:
    found = {category_id}
    stack = [category_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def overdue_critical_actions(today: date) -> list[_Overdue]:
    """Critical actions past their due date and not closed, each with the categories it covers
    (two queries, whatever the count)."""
    rows = list(
        CorrectiveAction.objects.filter(
            finding__severity=Finding.Severity.CRITICAL, due_on__lt=today
        )
        .exclude(status=CorrectiveAction.Status.CLOSED)
        .order_by("due_on", "id")
        .values_list("id", "supplier_id", "finding__category_id", "due_on")
    )
    if not rows:
        return []
    children: dict[int | None, list[int]] = defaultdict(list)
    if any(category_id is not None for _id, _s, category_id, _d in rows):
        for pk, parent_id in Category.objects.values_list("id", "parent_id"):
            children[parent_id].append(pk)
    return [
        _Overdue(
            action_id,
            supplier_id,
            None if category_id is None else _below(category_id, children),
            due_on,
        )
        for action_id, supplier_id, category_id, due_on in rows
    ]


def _covering(
    overdue: Iterable[_Overdue], supplier_id: int, category_id: int, *, besides: int | None = None
) -> _Overdue | None:
    for action in overdue:
        if action.action_id == besides or action.supplier_id != supplier_id:
            continue
        if action.categories is None or category_id in action.categories:
            return action
    return None


def _pause_one(listing_id: int, action: _Overdue, *, actor: User | None) -> bool:
    with transaction.atomic():
        # The listing's lock orders two runs: the second sees it paused and leaves it.
        locked = Listing.objects.select_for_update().filter(pk=listing_id).first()
        if locked is None or locked.status != S.LIVE:
            return False
        if ListingActionPause.objects.filter(listing_id=listing_id, released_at__isnull=True):
            # Held by this rule already; an operator resumed it since, and that stands.
            return False
        paused = listing_transition(
            locked,
            S.PAUSED,
            actor=actor,
            reason=_(
                "Paused: a critical corrective action from a factory audit was due on %(due)s "
                "and is not closed."
            )
            % {"due": action.due_on.isoformat()},
        )
        try:
            with transaction.atomic():
                ListingActionPause.objects.create(
                    listing_id=listing_id,
                    action_id=action.action_id,
                    paused_at=paused.status_changed_at,
                )
        except IntegrityError:
            # Only reachable if the row lock above were bypassed; undo the pause with it.
            transaction.set_rollback(True)
            return False
    return True


def _release_one(
    pause_id: int, overdue: list[_Overdue], now: datetime, *, actor: User | None
) -> str:
    """'restored', 'released', 'moved' (held for another overdue action) or '' (nothing to do)."""
    with transaction.atomic():
        pause = (
            ListingActionPause.objects.select_for_update()
            .filter(pk=pause_id, released_at__isnull=True)
            .first()
        )
        if pause is None:
            return ""
        listing = (
            Listing.objects.select_for_update().select_related("product").get(pk=pause.listing_id)
        )
        as_left = listing.status == S.PAUSED and listing.status_changed_at == pause.paused_at
        if as_left:
            other = _covering(
                overdue,
                listing.supplier_id,
                listing.product.category_id,
                besides=pause.action_id,
            )
            if other is not None:
                pause.action_id = other.action_id
                pause.save(update_fields=["action"])
                return "moved"
        pause.released_at = now
        pause.restored = as_left
        pause.save(update_fields=["released_at", "restored"])
        if not as_left:
            return "released"
        live = listing_transition(
            listing,
            S.LIVE,
            actor=actor,
            reason=_("Resumed: the corrective action that paused it was closed."),
        )
        # Back on sale only with stock to sell, as any resume (the stock rule takes over).
        listing_stock_changed(live, available_stock(live), actor=actor)
    return "restored"


def listings_follow_corrective_actions(
    *, actor: User | None = None, now: datetime | None = None
) -> Followed:
    """Put back what closed actions paused, then pause what overdue critical actions cover."""
    now = now or timezone.now()
    overdue = overdue_critical_actions(capa_today(now))
    outcomes: dict[str, int] = defaultdict(int)
    to_release = ListingActionPause.objects.filter(
        released_at__isnull=True, action__status=CorrectiveAction.Status.CLOSED
    ).values_list("id", flat=True)
    for pause_id in list(to_release):
        outcomes[_release_one(pause_id, overdue, now, actor=actor)] += 1
    paused = 0
    if overdue:
        suppliers = {action.supplier_id for action in overdue}
        held = ListingActionPause.objects.filter(released_at__isnull=True).values("listing_id")
        live = (
            Listing.objects.filter(status=S.LIVE, supplier_id__in=suppliers)
            .exclude(pk__in=held)
            .order_by("id")
            .values_list("id", "supplier_id", "product__category_id")
        )
        for listing_id, supplier_id, category_id in live:
            action = _covering(overdue, supplier_id, category_id)
            if action is not None and _pause_one(listing_id, action, actor=actor):
                paused += 1
    return Followed(paused=paused, restored=outcomes["restored"], released=outcomes["released"])
