"""What a listing's public trust page may show: its verified passing tests in force, by public
fields only (never the report number, file, measured values, lot or supplier)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from ..models import TestRecord, TrustPage

if TYPE_CHECKING:
    from catalogue.models import Listing

# The only columns the public page reads.
PUBLIC_TEST_FIELDS = ("standard__code", "standard__title", "lab__name", "issued_on", "valid_until")


def counting_records(*, at: datetime | None = None) -> Q:
    """A test record that counts at `at`: verified by then, recorded by then, not superseded
    then (the answer's rule)."""
    at = at or timezone.now()
    return Q(status=TestRecord.Status.VERIFIED, verified_at__lte=at, recorded_at__lte=at) & (
        Q(superseded_at__isnull=True) | Q(superseded_at__gt=at)
    )


def public_tests(listing: Listing, *, at: datetime | None = None) -> list[dict[str, Any]]:
    """The listing's product's verified passing tests in date at `at`, made for its supplier:
    one query, public columns only."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    return list(
        TestRecord.objects.filter(
            counting_records(at=at),
            product_id=listing.product_id,
            supplier_id=listing.supplier_id,
            result=TestRecord.Result.PASS,
            issued_on__lte=today,
            valid_until__gte=today,
        )
        .order_by("standard__market", "standard__code", "-valid_until")
        .values(*PUBLIC_TEST_FIELDS)
    )


def trust_page_by_token(token: str) -> TrustPage | None:
    """The trust page with this token, with its listing, product and category, if the listing
    is live (a paused, delisted or unknown one has no public page)."""
    return (
        TrustPage.objects.select_related("listing__product__category")
        .filter(token=token, listing__status="live")
        .first()
    )
