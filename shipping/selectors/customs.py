"""Which customs decisions a caller may read: a supplier user those of its own parcels;
integrators (the storefront, carriers' clients with `read`) and staff who may view them all.
Every door fetches through here, so another supplier's parcel is a 404."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from suppliers.selectors import supplier_id_for

from ..models import CustomsDecision


def customs_decisions_visible_to(user: User) -> QuerySet[CustomsDecision]:
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return CustomsDecision.objects.filter(parcel__supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("shipping.view_customsdecision"):
        return CustomsDecision.objects.all()
    return CustomsDecision.objects.none()
