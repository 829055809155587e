"""Enforcement reads: who may see which cases, the failed records still waiting for a case, the
markets a standard covers, and the ladder's count."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from suppliers.selectors import supplier_id_for

from ..models import (
    EnforcementCase,
    MarketHold,
    ProgrammeRequirement,
    Standard,
    TestRecord,
    listing_model,
)


def cases_visible_to(user: User) -> QuerySet[EnforcementCase]:
    """A supplier user sees its own supplier's cases; staff who may view cases see all of them
    (officers, operators); integrators none."""
    queryset = EnforcementCase.objects.select_related(
        "supplier", "listing__product", "test_record__standard", "test_record__lab", "fine_entry"
    )
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("compliance.view_enforcementcase"):
        return queryset
    return queryset.none()


def failed_records_without_case() -> QuerySet[TestRecord]:
    """Failed records that count (verified, not superseded) and have no case yet, for which the
    supplier has a listing of the product to hold."""
    return TestRecord.objects.filter(
        Exists(
            listing_model()._default_manager.filter(
                product_id=OuterRef("product_id"), supplier_id=OuterRef("supplier_id")
            )
        ),
        result=TestRecord.Result.FAIL,
        status=TestRecord.Status.VERIFIED,
        superseded_by__isnull=True,
        enforcement_case__isnull=True,
    )


def supplier_listings(product_id: int, supplier_id: int) -> QuerySet[Model]:
    """The supplier's listings of a product (one per mode may exist): a case holds all."""
    listings = listing_model()._default_manager
    return listings.filter(product_id=product_id, supplier_id=supplier_id).order_by("pk")


def standard_markets(standard: Standard, *, on: date | None = None) -> list[str]:
    """The markets a standard covers: its own, and those of the programmes in force on `on`
    (today) that require it, in a stable order."""
    day = on or timezone.localdate()
    markets = {standard.market}
    markets.update(
        ProgrammeRequirement.objects.filter(
            Q(programme__effective_from__lte=day),
            Q(programme__effective_to__isnull=True) | Q(programme__effective_to__gte=day),
            standard=standard,
        ).values_list("programme__market", flat=True)
    )
    return sorted(markets)


def ladder_count(supplier_id: int, *, at: datetime | None = None) -> int:
    """The supplier's cases that count toward the ladder at `at`: opened within
    COMPLIANCE_LADDER_WINDOW (180 days by default) before it, not overturned."""
    moment = at or timezone.now()
    return (
        EnforcementCase.objects.filter(
            supplier_id=supplier_id,
            opened_at__gte=moment - settings.COMPLIANCE_LADDER_WINDOW,
            opened_at__lte=moment,
        )
        .exclude(status=EnforcementCase.Status.OVERTURNED)
        .count()
    )


def holds_in_force(*, at: datetime | None = None) -> QuerySet[MarketHold]:
    moment = at or timezone.now()
    return MarketHold.objects.filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=moment), started_at__lte=moment
    )


def market_holds_visible_to(user: User) -> QuerySet[MarketHold]:
    """A supplier user sees the holds on its own listings; staff who may view holds see all."""
    queryset = MarketHold.objects.select_related("listing__product", "case")
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(listing__supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("compliance.view_markethold"):
        return queryset
    return queryset.none()


def appeal_open(case: EnforcementCase, *, now: datetime | None = None) -> bool:
    """Whether the supplier may still appeal the case (open, within the appeal window)."""
    moment = now or timezone.now()
    return case.status == EnforcementCase.Status.OPEN and moment <= case.appeal_until
