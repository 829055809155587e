from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per integrator client or supplier user, across all its keys."""

    scope = "client"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # the anonymous throttle handles these
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
