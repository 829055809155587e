"""Compliance per listing and market in the portal (issue 12): every listing of the supplier with
whether it may be sold and shipped in each market and every reason when not (the sentences of
compliance.selectors.answer, in the reader's language), and the GPSR details the EU answer needs
(the manufacturer and EU responsible person on a listing, through catalogue's service)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from catalogue.models import Listing, ListingPrice
from catalogue.selectors import listings_visible_to
from catalogue.services.listings import listing_gpsr_set
from compliance.models import TestProgramme
from compliance.selectors.answer import Answer, compliance_answers, listing_answers
from marketplace.errors import DomainError
from marketplace.markets import Market

from ..access import SupplierRequest, supplier_required
from ..errors import show_domain_error

PAGE_SIZE = 25
# The markets the overview shows: those the platform's rules cover first.
MARKETS = list(Market.values)


class GpsrForm(forms.Form):
    gpsr_manufacturer = forms.CharField(
        label=gettext_lazy("Manufacturer (GPSR)"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Name and postal address of the manufacturer."),
    )
    eu_responsible_person = forms.CharField(
        label=gettext_lazy("EU responsible person"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "Name and postal address of the economic operator responsible in the EU."
        ),
    )


def compliance_rows(answers: dict[str, Answer]) -> list[tuple[str, str, Answer]]:
    """(market, its name, the answer) in the markets' order, for the templates."""
    names = dict(Market.choices)
    return [(m, str(names[m]), answers[m]) for m in MARKETS if m in answers]


@supplier_required
@require_GET
def compliance_overview(request: SupplierRequest) -> HttpResponse:
    """Every listing of the supplier (delisted aside) in every market, set-based per page."""
    listings = (
        listings_visible_to(request.user)
        .exclude(status=Listing.Status.DELISTED)
        .select_related("product")
        .order_by("-created_at", "-id")
    )
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    markets = _markets_shown(rows)
    answers = compliance_answers(
        Listing.objects.filter(pk__in=[listing.pk for listing in rows]), markets
    )
    table = [(listing, [answers[(listing.pk, market)] for market in markets]) for listing in rows]
    names = dict(Market.choices)
    return render(
        request,
        "portal/compliance/overview.html",
        {
            "page_obj": page,
            "table": table,
            "markets": [(market, names[market]) for market in markets],
            "compliance_tab": "overview",
        },
    )


def _markets_shown(listings: list[Listing]) -> list[str]:
    """The markets with something to say: those a test programme in force covers and those
    these listings are priced in (elsewhere nothing is required and nothing is sold)."""
    regulated = TestProgramme.objects.in_force(timezone.localdate()).values_list(
        "market", flat=True
    )
    priced = ListingPrice.objects.filter(listing__in=listings).values_list("market", flat=True)
    wanted = set(regulated) | set(priced)
    return [market for market in MARKETS if market in wanted] or MARKETS


def _listing(request: SupplierRequest, pk: int) -> Listing:
    return get_object_or_404(
        listings_visible_to(request.user).select_related("product__category"), pk=pk
    )


@supplier_required
@require_POST
def compliance_listing_gpsr(request: SupplierRequest, pk: int) -> HttpResponse:
    """The supplier names its listing's manufacturer and EU responsible person."""
    listing = _listing(request, pk)
    form = GpsrForm(request.POST)
    if form.is_valid():
        try:
            listing_gpsr_set(
                listing,
                manufacturer=form.cleaned_data["gpsr_manufacturer"],
                responsible_person=form.cleaned_data["eu_responsible_person"],
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("The GPSR details are saved."))
            return redirect("portal:listing_detail", pk=listing.pk)
    for field, errors in form.errors.items():
        messages.error(request, f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}")
    return redirect("portal:listing_detail", pk=listing.pk)


def listing_compliance(listing: Listing) -> dict[str, object]:
    """The listing page's compliance panel: each market's answer, and the GPSR form."""
    result = listing_answers(listing, MARKETS)
    return {
        "compliance": compliance_rows(result.answers),
        "gpsr_form": GpsrForm(
            initial={
                "gpsr_manufacturer": listing.gpsr_manufacturer,
                "eu_responsible_person": listing.eu_responsible_person,
            }
        ),
    }


urlpatterns = [
    path("compliance/", compliance_overview, name="compliance_overview"),
    path(
        "compliance/listings/<int:pk>/gpsr/",
        compliance_listing_gpsr,
        name="compliance_listing_gpsr",
    ),
]
