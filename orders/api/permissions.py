from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from accounts.api.permissions import HasScope


class CanReadPenalties(HasScope):
    """Penalties are between the platform and the supplier: supplier users read their own and
    staff who may view penalties read all (the selector scopes the rows); an integrator is
    refused with 403 rather than shown an empty list."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if hasattr(request.user, "api_client"):
            self.message = "Penalties are read by the supplier concerned and by staff."
            return False
        return True
