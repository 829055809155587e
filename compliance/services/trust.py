"""Trust pages: the public page of a live listing, made when first needed (the portal's and the
admin's lists of trust links make the missing ones for the listings they show)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from ..models import TrustPage

if TYPE_CHECKING:
    from catalogue.models import Listing

BATCH = 1000


def trust_pages_make_missing(listings: QuerySet[Listing]) -> int:
    """Give each listing of the queryset (the caller passes live listings) that has none its
    trust page: a query for the missing ones and an insert per thousand made. Idempotent, and
    safe when two requests make the same page at once (the listing is unique)."""
    made = 0
    while True:
        missing = list(
            listings.filter(trust_page__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not missing:
            return made
        # One statement: atomic by itself.
        TrustPage.objects.bulk_create(
            [TrustPage(listing_id=pk) for pk in missing], ignore_conflicts=True
        )
        made += len(missing)
        if len(missing) < BATCH:
            return made


def trust_pages_for(listings: QuerySet[Listing]) -> dict[int, TrustPage]:
    """The trust page of each listing given (a page of them), by listing id, making those
    missing: three queries whatever the number of listings."""
    trust_pages_make_missing(listings)
    return {
        page.listing_id: page
        for page in TrustPage.objects.filter(listing__in=listings.order_by().values("pk"))
    }
