"""What a listing's public trust page may show: its verified passing tests in force, by public
fields only (never the report number, file, measured values, lot or supplier)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from ..models import TestRecord, TrustPage
from .answer import RECORD_ORDER, counting_records

if TYPE_CHECKING:
    from catalogue.models import Listing

# The only columns the public page reads.
PUBLIC_TEST_FIELDS = ("standard__code", "standard__title", "lab__name", "issued_on", "valid_until")


def public_tests(listing: Listing, *, at: datetime | None = None) -> list[dict[str, Any]]:
    """The listing's product's tests made for its supplier that stand at `at`: for each
    standard, the latest counting record (the one the compliance answer reads), when it is a
    pass in date. One query, public columns only."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    rows = (
        counting_records(at)
        .filter(product_id=listing.product_id, supplier_id=listing.supplier_id)
        .order_by("standard__market", "standard__code", *RECORD_ORDER)
        .values("standard_id", "result", *PUBLIC_TEST_FIELDS)
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        latest.setdefault(row["standard_id"], row)
    return [
        {name: row[name] for name in PUBLIC_TEST_FIELDS}
        for row in latest.values()
        if row["result"] == TestRecord.Result.PASS
        and row["issued_on"] <= today <= row["valid_until"]
    ]


def trust_page_by_token(token: str) -> TrustPage | None:
    """The trust page with this token, with its listing, product and category, if the listing
    is live (a paused, delisted or unknown one has no public page)."""
    return (
        TrustPage.objects.select_related("listing__product__category")
        .filter(token=token, listing__status="live")
        .first()
    )
