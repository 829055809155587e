"""Reads that carry a rule: which JIT orders and penalties a caller may see.

Every API view (and the portal and the admin) fetches through these, so a supplier never reaches
another supplier's orders or penalties: a 404, or absent from a list.
"""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from suppliers.selectors import supplier_id_for

from .models import ConsumerOrder, JitOrder, Payable, Penalty


def orders_visible_to(user: User) -> QuerySet[JitOrder]:
    """A supplier user sees its own supplier's orders; integrators (the storefront that places
    them) and staff who may view orders see all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return JitOrder.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("orders.view_jitorder"):
        return JitOrder.objects.all()
    return JitOrder.objects.none()


def orders_placed_by(user: User) -> QuerySet[JitOrder]:
    """The JIT orders this storefront placed: the ones it may cancel. Another client's order,
    and every order for anyone who is not an integrator, is not found."""
    if not hasattr(user, "api_client"):
        return JitOrder.objects.none()
    return JitOrder.objects.filter(placed_by=user)


def penalties_visible_to(user: User) -> QuerySet[Penalty]:
    """A supplier user sees its own supplier's penalties; staff who may view penalties see all of
    them. Integrators see none: penalties are between the platform and the supplier."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Penalty.objects.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("orders.view_penalty"):
        return Penalty.objects.all()
    return Penalty.objects.none()


def consumer_orders_visible_to(user: User) -> QuerySet[ConsumerOrder]:
    """A supplier user sees its own supplier's consumer orders; the storefront integrators that
    place them and staff who may view them see all."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return ConsumerOrder.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("orders.view_consumerorder"):
        return ConsumerOrder.objects.all()
    return ConsumerOrder.objects.none()


def payables_visible_to(user: User) -> QuerySet[Payable]:
    """A supplier user sees its own payables; finance and operators who may view them all;
    integrators none."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Payable.objects.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("orders.view_payable"):
        return Payable.objects.all()
    return Payable.objects.none()
