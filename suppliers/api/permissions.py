from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from accounts.api.permissions import HasScope, request_scopes
from accounts.models import Scope


class CanReadLedgers(HasScope):
    """Reading ledgers needs `read`; an integrator also needs `finance:write` (the scope of the
    clients that handle suppliers' money), and is refused with 403 rather than shown an empty
    list. Supplier users and staff pass here; the selector then scopes their rows (a supplier's
    own; every ledger for staff who may view them, none for other staff)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not hasattr(request.user, "api_client"):
            return True
        required = Scope.FINANCE_WRITE.value
        if required in request_scopes(request):
            return True
        self.message = f"This operation needs the scope `{required}`."
        return False
