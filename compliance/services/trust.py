"""Trust pages: the public page of a live listing, made when first needed (the portal's and the
admin's list of trust links make the missing ones for the listings they show)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from ..models import TrustPage

if TYPE_CHECKING:
    from catalogue.models import Listing


def trust_pages_for(listings: QuerySet[Listing]) -> dict[int, TrustPage]:
    """The trust page of each listing given (the caller passes live listings), by listing id,
    making those missing: three queries whatever the number of listings. Idempotent, and safe
    when two requests make the same page at once (the listing is unique)."""
    ids = list(listings.values_list("pk", flat=True))
    pages = {page.listing_id: page for page in TrustPage.objects.filter(listing_id__in=ids)}
    missing = [pk for pk in ids if pk not in pages]
    if missing:
        # One statement: atomic by itself.
        TrustPage.objects.bulk_create(
            [TrustPage(listing_id=pk) for pk in missing], ignore_conflicts=True
        )
        pages = {page.listing_id: page for page in TrustPage.objects.filter(listing_id__in=ids)}
    return pages
