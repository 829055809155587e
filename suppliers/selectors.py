"""Reads that carry a rule: which supplier a user acts for, which suppliers a caller may see, and
deposit balances."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from marketplace.models import Event

from .models import Invitation, LedgerEntry, Scorecard, Standing, Supplier, WithdrawalRequest

ZERO = Decimal("0.00")


def supplier_id_for(user: User | AnonymousUser | None) -> int | None:
    """The id of the supplier the user acts for (its membership), None for staff, integrators,
    the system (no user) and anonymous callers. The one answer to "which supplier is this user":
    every `*_visible_to` selector and every service that checks "is this the actor's own" asks
    here."""
    membership = getattr(user, "supplier_membership", None)
    return None if membership is None else membership.supplier_id


def supplier_for(user: User | AnonymousUser | None) -> Supplier | None:
    """The supplier the user acts for, or None (see `supplier_id_for`)."""
    membership = getattr(user, "supplier_membership", None)
    return None if membership is None else membership.supplier


def supplier_list_visible_to(user: User) -> QuerySet[Supplier]:
    """A supplier user sees only its own supplier; integrators and staff see all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Supplier.objects.filter(pk=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("suppliers.view_supplier"):
        return Supplier.objects.all()
    return Supplier.objects.none()


def balance_subquery() -> Coalesce:
    """The deposit balance of the outer query's supplier: one aggregate per row, in the same
    query, so a page of suppliers (or 10,000 of them) costs one query, and joins made by
    filters cannot multiply the sum."""
    total = (
        LedgerEntry.objects.filter(supplier=OuterRef("pk"))
        .order_by()
        .values("supplier")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)


def with_balance(queryset: QuerySet[Supplier]) -> QuerySet[Supplier]:
    return queryset.annotate(balance=balance_subquery())


def supplier_balance(supplier_id: int) -> Decimal:
    total = LedgerEntry.objects.filter(supplier_id=supplier_id).aggregate(total=Sum("amount"))
    return total["total"] or ZERO


def invitations_open(supplier_id: int) -> QuerySet[Invitation]:
    """Invitations still waiting for an answer (not accepted, cancelled or expired)."""
    return Invitation.objects.filter(
        supplier_id=supplier_id,
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).order_by("-created_at")


def ledger_entries_visible_to(user: User) -> QuerySet[LedgerEntry]:
    """A supplier user reads its own supplier's entries; finance staff (the view permission) and
    integrators with the `finance:write` scope read all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return LedgerEntry.objects.filter(supplier_id=supplier_id)
    if user.has_perm("suppliers.view_ledgerentry") or "finance:write" in _client_scopes(user):
        return LedgerEntry.objects.all()
    return LedgerEntry.objects.none()


def withdrawal_requests_visible_to(user: User) -> QuerySet[WithdrawalRequest]:
    """A supplier user sees its own supplier's requests; finance and operators who may view
    them all; integrators none."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return WithdrawalRequest.objects.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("suppliers.view_withdrawalrequest"):
        return WithdrawalRequest.objects.all()
    return WithdrawalRequest.objects.none()


def notifications_visible_to(user: User) -> QuerySet[Event]:
    """The events a caller may read as notifications: a supplier user those about its own
    supplier (the portal's notifications and their unread badge); staff who may view events
    every one; integrators none (they subscribe to webhooks instead)."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Event.objects.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("marketplace.view_event"):
        return Event.objects.all()
    return Event.objects.none()


def _client_scopes(user: User) -> list[str]:
    client = getattr(user, "api_client", None)
    return list(client.scopes) if client is not None and client.is_active else []


def standings_of(supplier_ids: list[int]) -> dict[int, str]:
    """Each supplier's standing on its latest scorecard; a supplier with none is new (it is
    treated as new, not as failing: SPEC, "Scorecard")."""
    found: dict[int, str] = {}
    for supplier_id, standing in (
        Scorecard.objects.filter(supplier_id__in=supplier_ids)
        .order_by("supplier_id", "-day")
        .values_list("supplier_id", "standing")
    ):
        found.setdefault(supplier_id, standing)
    return {sid: found.get(sid, Standing.NEW.value) for sid in supplier_ids}


def standing_of(supplier_id: int) -> str:
    return standings_of([supplier_id])[supplier_id]
