"""The supplier's trust pages: the public address and QR code of each of its live listings (to
print on a label or a leaflet). The pages are made the first time they are shown here."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from catalogue.models import Listing
from catalogue.selectors import listings_visible_to
from compliance.services.trust import trust_pages_for

from ..access import SupplierRequest, supplier_required
from ..trust import trust_url

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


urlpatterns = [path("compliance/trust/", compliance_trust, name="compliance_trust")]
