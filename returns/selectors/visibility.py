"""Who may read which returns and chargebacks: every door (API, portal, admin) fetches through
these, so a supplier never reaches another supplier's returns, and a storefront only its own."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from suppliers.selectors import supplier_id_for

from ..models import Chargeback, ReturnRequest


def returns_visible_to(user: User) -> QuerySet[ReturnRequest]:
    """A supplier user sees its own supplier's returns; a storefront (an API client) the returns
    it opened; staff who may view returns all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return ReturnRequest.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client"):
        return ReturnRequest.objects.filter(placed_by=user)
    if user.has_perm("returns.view_returnrequest"):
        return ReturnRequest.objects.all()
    return ReturnRequest.objects.none()


def returns_placed_by(user: User) -> QuerySet[ReturnRequest]:
    """The returns this storefront opened: the ones it may cancel."""
    if not hasattr(user, "api_client"):
        return ReturnRequest.objects.none()
    return ReturnRequest.objects.filter(placed_by=user)


def chargebacks_visible_to(user: User) -> QuerySet[Chargeback]:
    """A supplier user sees its own chargebacks; finance and operators who may view them all;
    integrators none (chargebacks are between the platform and the supplier)."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Chargeback.objects.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("returns.view_chargeback"):
        return Chargeback.objects.all()
    return Chargeback.objects.none()
