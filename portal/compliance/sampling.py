"""The supplier's test purchases: which of its listings were sampled, when the units were
pulled and sent to a lab, and the results. The draw's weights and their factors stay the
marketplace's (they are how listings are chosen, and a seller that read them could steer them);
only the supplier's own requests appear, from the moment their units are pulled."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET

from compliance.models import TestRecord
from compliance.selectors.sampling import sampling_requests_visible_to

from ..access import SupplierRequest, supplier_required

PAGE_SIZE = 25


@supplier_required
@require_GET
def sampling_requests(request: SupplierRequest) -> HttpResponse:
    found = (
        sampling_requests_visible_to(request.user)
        .select_related("listing__product", "lab")
        .prefetch_related(
            Prefetch(
                "test_records",
                queryset=TestRecord.objects.select_related("standard", "lab").order_by(
                    "-issued_on", "-id"
                ),
            ),
            "standards",
        )
        .order_by("-units_pulled_at", "-id")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/compliance/sampling.html",
        {"page_obj": page, "compliance_tab": "sampling"},
    )


urlpatterns: list[URLPattern] = [
    path("compliance/sampling/", sampling_requests, name="compliance_sampling"),
]
