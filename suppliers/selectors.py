"""Reads that carry a rule: which suppliers a caller may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User

from .models import Supplier


def supplier_list_visible_to(user: User) -> QuerySet[Supplier]:
    """A supplier user sees only its own supplier; integrators and staff see all of them."""
    membership = getattr(user, "supplier_membership", None)
    if membership is not None:
        return Supplier.objects.filter(pk=membership.supplier_id)
    if hasattr(user, "api_client") or user.has_perm("suppliers.view_supplier"):
        return Supplier.objects.all()
    return Supplier.objects.none()


def supplier_for_user(user: User) -> Supplier | None:
    membership = getattr(user, "supplier_membership", None)
    return membership.supplier if membership is not None else None
