from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class PortalTimezoneMiddleware:
    """Suppliers read every time in the portal in China time (PORTAL_TIME_ZONE); the database
    and the other doors stay in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.zone = zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/portal/"):
            return self.get_response(request)
        with timezone.override(self.zone):
            return self.get_response(request)
