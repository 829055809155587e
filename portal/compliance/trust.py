"""The supplier's trust pages: the public address and QR code of each of its live listings (to
print on a label or a leaflet). The pages are made the first time they are shown here."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from catalogue.models import Listing
from catalogue.selectors import listings_visible_to
from compliance.services.trust import trust_pages_for

from ..access import SupplierRequest, supplier_required
from ..trust import qr_svg, trust_url

PAGE_SIZE = 25


@supplier_required
@require_GET
def compliance_trust(request: SupplierRequest) -> HttpResponse:
    live = (
        listings_visible_to(request.user)
        .filter(status=Listing.Status.LIVE)
        .select_related("product")
        .order_by("-status_changed_at", "-pk")
    )
    page = Paginator(live, PAGE_SIZE).get_page(request.GET.get("page"))
    pages = trust_pages_for(Listing.objects.filter(pk__in=[row.pk for row in page.object_list]))
    rows = [
        (listing, pages[listing.pk], trust_url(request, pages[listing.pk]))
        for listing in page.object_list
    ]
    return render(
        request,
        "portal/compliance/trust.html",
        {"rows": rows, "page_obj": page, "compliance_tab": "trust"},
    )


@supplier_required
@require_GET
def compliance_trust_listing(request: SupplierRequest, pk: int) -> HttpResponse:
    """One live listing's public address and QR code, large (404 for a listing that is not the
    supplier's, or not live)."""
    listing = get_object_or_404(
        listings_visible_to(request.user)
        .filter(status=Listing.Status.LIVE)
        .select_related("product"),
        pk=pk,
    )
    page = trust_pages_for(Listing.objects.filter(pk=listing.pk))[listing.pk]
    url = trust_url(request, page)
    return render(
        request,
        "portal/compliance/trust_listing.html",
        {
            "listing": listing,
            "page": page,
            "url": url,
            "qr": mark_safe(qr_svg(url, inline=True)),  # noqa: S308 (segno's own SVG)
            "compliance_tab": "trust",
        },
    )


urlpatterns = [
    path("compliance/trust/", compliance_trust, name="compliance_trust"),
    path("compliance/trust/<int:pk>/", compliance_trust_listing, name="compliance_trust_listing"),
]
