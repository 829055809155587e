"""Who sees which demand signals: one answer for the API and the admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from suppliers.selectors import supplier_id_for

from ..models import DemandSignal

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def signals_visible_to(user: User | AnonymousUser) -> QuerySet[DemandSignal]:
    """A supplier user sees its own listings' signals; integrators (the storefront that posts
    them, readers) and staff who may view signals, all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return DemandSignal.objects.filter(listing__supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("restock.view_demandsignal"):
        return DemandSignal.objects.all()
    return DemandSignal.objects.none()
