"""Who sees which return-rate rows and breaches: one answer for the portal, the API and the
admin."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from catalogue.models import ListingReturnRate
from suppliers.selectors import supplier_id_for

from ..models import ReturnRateBreach

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


def breaches_visible_to(user: User | AnonymousUser) -> QuerySet[ReturnRateBreach]:
    """A supplier user sees its own supplier's breaches; integrators with read access and staff
    who may view breaches see all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return ReturnRateBreach.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("returns.view_returnratebreach"):
        return ReturnRateBreach.objects.all()
    return ReturnRateBreach.objects.none()


def return_rates_visible_to(user: User | AnonymousUser) -> QuerySet[ListingReturnRate]:
    """The daily return-rate rows: a supplier user its own listings'; integrators with read
    access and staff who may view them, all."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return ListingReturnRate.objects.filter(listing__supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("catalogue.view_listingreturnrate"):
        return ListingReturnRate.objects.all()
    return ListingReturnRate.objects.none()


def trend_days(today: date, days: int) -> list[date]:
    """The last `days` days up to `today`, oldest first (a trend's x axis)."""
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
