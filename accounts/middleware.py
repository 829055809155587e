from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone


class OperatorTimezoneMiddleware:
    """The admin shows every time in the signed-in operator's own zone (User.time_zone, else
    DEFAULT_OPERATOR_TIME_ZONE); the database and the other doors stay in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.default = zoneinfo.ZoneInfo(settings.DEFAULT_OPERATOR_TIME_ZONE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(reverse("admin:index")):
            return self.get_response(request)
        user = getattr(request, "user", None)
        zone = user.operator_time_zone() if user is not None and user.is_authenticated else None
        timezone.activate(zone or self.default)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
