"""The supplier's events in words: the notification list and the application history.

Every kind of event a supplier receives has a sentence here, made when the page is read, in the
reader's language, from the event's payload and the record it is about; times are China time with
the zone. A reason is shown when a person wrote it (an operator's decision, the supplier's own
note); what the code wrote itself is already said by the sentence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from marketplace.models import Event
from suppliers.models import LedgerEntry, Membership, Supplier
from suppliers.selectors import notifications_visible_to

from ..access import SupplierRequest, supplier_required
from ..context import set_unread_count
from ..wording import (
    describe_entries,
    local_time,
)
from .describe import actor_label, describe, link, reason_text, topic
from .subjects import Context, choice_label, load_subjects

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventLine:
    event: Event
    text: str
    reason: str
    when: str
    url: str
    topic: str
    actor: str
    status_from: str
    status_to: str
    is_new: bool


def event_lines(events: Iterable[Event], *, new_since: datetime | None = None) -> list[EventLine]:
    events = list(events)
    subjects = load_subjects(events)
    entries = describe_entries(
        [s for s in subjects.values() if isinstance(s, LedgerEntry)]  # the ledger's own words
    )
    lines = []
    for event in events:
        payload = event.payload or {}
        subject = subjects.get((event.subject_type_id or 0, event.subject_id))
        moved = event.kind == "supplier.status_changed"
        lines.append(
            EventLine(
                event=event,
                text=describe(event, Context(subject=subject, entries=entries)),
                reason=reason_text(event),
                when=local_time(event.occurred_at),
                url=link(event, subject),
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
    events = notifications_visible_to(request.user).select_related("actor")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    lines = event_lines(page.object_list, new_since=previously_seen)
    notifications_mark_seen(membership)
    set_unread_count(request, 0)
    return render(
        request,
        "portal/notifications.html",
        {"page_obj": page, "lines": lines, "previously_seen": previously_seen},
    )
