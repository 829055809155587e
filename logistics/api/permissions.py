from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from accounts.api.permissions import HasScope
from accounts.models import User
from suppliers.selectors import supplier_id_for


class NotForIntegrators(HasScope):
    """Consignment stock, shipments and payables are between the platform and the supplier:
    supplier users read their own and staff what their role's view permission allows (the
    selectors scope the rows); an integrator is refused with 403 rather than shown an empty
    list."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if hasattr(request.user, "api_client"):
            self.message = "Consignment inventory is read by the supplier concerned and by staff."
            return False
        return True


class CanCancelShipment(NotForIntegrators):
    """A shipment is cancelled by its supplier's users (scope `supplier`), or by staff who may
    change shipments (an operator voiding a notice the supplier abandoned)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if (
            isinstance(user, User)
            and user.is_authenticated
            and user.is_staff
            and not hasattr(user, "api_client")
            and supplier_id_for(user) is None
            and user.has_perm("logistics.change_inboundshipment")
        ):
            return True
        return super().has_permission(request, view)
