"""Reads that carry a compliance rule."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from ..models import TestRecord


def suppliers_with_passing_test(
    *, product_id: int, standard: str, supplier_ids: Iterable[int], on: date | None = None
) -> set[int]:
    """Which of these suppliers hold a passing test of the product against the standard, in date
    on `on` (today by default)."""
    day = on or timezone.localdate()
    return set(
        TestRecord.objects.filter(
            product_id=product_id,
            supplier_id__in=list(supplier_ids),
            standard__code__iexact=standard.strip(),
            result=TestRecord.Result.PASS,
            status=TestRecord.Status.VERIFIED,
            superseded_by__isnull=True,
            issued_on__lte=day,
            valid_until__gte=day,
        ).values_list("supplier_id", flat=True)
    )
