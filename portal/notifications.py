"""The supplier's events in words: the notification list and the application history."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from marketplace.models import Event
from suppliers.models import LedgerEntry, Membership, Supplier

from .access import SupplierRequest, supplier_required
from .context import set_unread_count

PAGE_SIZE = 50


def choice_label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


def _ledger_posted(p: Mapping[str, Any], event: Event) -> str:
    return _("%(kind)s of %(amount)s CNY; the balance is now %(balance)s CNY.") % {
        "kind": choice_label(LedgerEntry.Kind, p.get("kind")),
        "amount": p.get("amount", "?"),
        "balance": p.get("balance", "?"),
    }


def _status_changed(p: Mapping[str, Any], event: Event) -> str:
    return _("Status changed from %(from)s to %(to)s.") % {
        "from": choice_label(Supplier.Status, p.get("from")),
        "to": choice_label(Supplier.Status, p.get("to")),
    }


def _withdrawal_requested(p: Mapping[str, Any], event: Event) -> str:
    return _("Withdrawal of %(amount)s CNY requested.") % {"amount": p.get("amount", "?")}


# One line per kind; kinds added later fall back to the kind and its reason.
DESCRIBE: dict[str, Callable[[Mapping[str, Any], Event], str]] = {
    "ledger.posted": _ledger_posted,
    "supplier.applied": lambda p, e: _("Application submitted."),
    "supplier.changes_requested": lambda p, e: _("The marketplace asks for changes."),
    "supplier.resubmitted": lambda p, e: _("Application resubmitted."),
    "supplier.status_changed": _status_changed,
    "supplier.jit_enrolled": lambda p, e: _("Enrolled in JIT."),
    "supplier.jit_paused": lambda p, e: _("JIT paused."),
    "supplier.jit_resumed": lambda p, e: _("JIT resumed."),
    "supplier.member_invited": lambda p, e: (
        _("%(email)s was invited.") % {"email": p.get("email", "?")}
    ),
    "supplier.member_joined": lambda p, e: (
        _("%(username)s joined.") % {"username": p.get("username", "?")}
    ),
    "supplier.member_removed": lambda p, e: (
        _("%(username)s was removed.") % {"username": p.get("username", "?")}
    ),
    "supplier.owner_changed": lambda p, e: (
        _("Ownership passed from %(from)s to %(to)s.")
        % {"from": p.get("from", "?"), "to": p.get("to", "?")}
    ),
    "supplier.withdrawal_requested": _withdrawal_requested,
    "supplier.withdrawal_approved": lambda p, e: _("Withdrawal request approved."),
    "supplier.withdrawal_rejected": lambda p, e: _("Withdrawal request rejected."),
}


def describe(event: Event) -> str:
    describer = DESCRIBE.get(event.kind)
    if describer is None:
        return event.kind
    return describer(event.payload or {}, event)


def topic(kind: str) -> str:
    """A coarse group for the list's colour mark."""
    if kind.startswith("ledger.") or "withdrawal" in kind:
        return "money"
    if kind.startswith("supplier.jit_"):
        return "jit"
    if "member" in kind or "owner" in kind:
        return "members"
    return "status"


def actor_label(event: Event) -> str:
    """Who did it, as the supplier may know it: its own people by name, the marketplace's staff
    as the marketplace."""
    actor = event.actor
    if actor is None:
        return _("System")
    if actor.is_staff or actor.is_superuser:
        return _("Marketplace team")
    return actor.get_full_name() or actor.username


@dataclass(frozen=True)
class EventLine:
    event: Event
    text: str
    topic: str
    actor: str
    status_from: str
    status_to: str
    is_new: bool


def event_lines(events: Iterable[Event], *, new_since: datetime | None = None) -> list[EventLine]:
    lines = []
    for event in events:
        payload = event.payload or {}
        moved = event.kind == "supplier.status_changed"
        lines.append(
            EventLine(
                event=event,
                text=describe(event),
                topic=topic(event.kind),
                actor=actor_label(event),
                status_from=choice_label(Supplier.Status, payload.get("from")) if moved else "",
                status_to=choice_label(Supplier.Status, payload.get("to")) if moved else "",
                is_new=new_since is None or event.occurred_at > new_since,
            )
        )
    return lines


def notifications_mark_seen(membership: Membership) -> None:
    """The member has read its notifications up to now. Presentation state of the member's own
    badge, not a business change: no event, no service."""
    now = timezone.now()
    Membership.objects.filter(pk=membership.pk).update(notifications_seen_at=now)
    membership.notifications_seen_at = now


@supplier_required
@require_GET
def notifications(request: SupplierRequest) -> HttpResponse:
    membership = request.membership
    previously_seen = membership.notifications_seen_at
    events = Event.objects.filter(supplier_id=membership.supplier_id).select_related("actor")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    lines = event_lines(page.object_list, new_since=previously_seen)
    notifications_mark_seen(membership)
    set_unread_count(request, 0)
    return render(
        request,
        "portal/notifications.html",
        {"page_obj": page, "lines": lines, "previously_seen": previously_seen},
    )
