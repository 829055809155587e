"""What every signed-in portal page shows around its content: the unread-notifications badge.

`portal_nav` is a template context processor (registered in settings); a view that needs the
count itself gets it from `unread_count`, which keeps it on the request: one query per page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from suppliers.models import Membership
from suppliers.selectors import notifications_visible_to

_UNREAD_ATTR = "_portal_unread_count"


def unread_count(request: HttpRequest) -> int | None:
    """Events for the member's supplier newer than the member last opened the notifications;
    None outside a member's portal page."""
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None or not request.path.startswith("/portal/"):
        return None
    cached = getattr(request, _UNREAD_ATTR, None)
    if cached is None:
        events = notifications_visible_to(membership.user)
        if membership.notifications_seen_at is not None:
            events = events.filter(occurred_at__gt=membership.notifications_seen_at)
        cached = events.count()
        setattr(request, _UNREAD_ATTR, cached)
    return cached


def set_unread_count(request: HttpRequest, count: int) -> None:
    setattr(request, _UNREAD_ATTR, count)


def portal_nav(request: HttpRequest) -> dict[str, Any]:
    count = unread_count(request)
    return {} if count is None else {"portal_unread": count}
