"""Tenders (reverse auctions) in the portal: the ones the supplier may see, its own sealed bid,
and after closing whether it won.

Sealed bids: these pages load the supplier's own bid and nothing else of the tender's bids (no
other bid, no count, not the winning bid, not the award explanation, which lists every bid)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Prefetch, QuerySet, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from catalogue.models import Bid, Listing, Tender
from catalogue.selectors import tender_bids_visible_to, tenders_visible_to
from catalogue.services.products import attributes_text
from catalogue.services.tenders import bid_place
from marketplace.errors import DomainError
from suppliers.models import Supplier

from .access import SupplierRequest, supplier_required
from .errors import show_domain_error
from .forms import error_summary

PAGE_SIZE = 25


class BidForm(forms.Form):
    unit_price = forms.DecimalField(
        label=gettext_lazy("Unit price (CNY)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    lead_time_days = forms.IntegerField(
        label=gettext_lazy("Lead time (days)"), min_value=1, max_value=3650
    )
    capacity = forms.IntegerField(
        label=gettext_lazy("Capacity (units)"), min_value=1, max_value=2_147_483_647
    )


def _tenders(request: SupplierRequest) -> QuerySet[Tender]:
    """The tenders this supplier may see, each with its own bid (if any) as `own_bids`: the only
    bid these pages ever load."""
    supplier = request.membership.supplier
    own = tender_bids_visible_to(request.user)
    return (
        tenders_visible_to(supplier)
        .select_related("product", "product__category")
        .prefetch_related(Prefetch("bids", queryset=own, to_attr="own_bids"))
    )


def outcome(tender: Tender, bid: Bid | None) -> str:
    """open, closing (past its time, the close job not yet run), won, lost, unawarded (no bid
    won; said only to a bidder), cancelled, or no_bid."""
    if tender.status == Tender.Status.OPEN:
        return "open" if tender.is_open else "closing"
    if tender.status == Tender.Status.CANCELLED:
        return "cancelled"
    if bid is None:
        return "no_bid"
    if tender.status == Tender.Status.AWARDED and tender.winning_bid_id == bid.pk:
        return "won"
    return "lost"


def _own_bid(tender: Tender) -> Bid | None:
    own: list[Bid] = getattr(tender, "own_bids", [])
    return own[0] if own else None


@supplier_required
@require_GET
def tenders(request: SupplierRequest) -> HttpResponse:
    # Open tenders first, the soonest to close on top.
    found = (
        _tenders(request)
        .annotate(closed=Case(When(status=Tender.Status.OPEN, then=0), default=1))
        .order_by("closed", "closes_at", "pk")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for tender in page.object_list:
        bid = _own_bid(tender)
        rows.append((tender, bid, outcome(tender, bid)))
    return render(request, "portal/catalogue/tenders.html", {"page_obj": page, "rows": rows})


def _page(request: SupplierRequest, tender: Tender, form: BidForm | None = None) -> HttpResponse:
    supplier = request.membership.supplier
    bid = _own_bid(tender)
    result = outcome(tender, bid)
    may_bid = result == "open" and supplier.status == Supplier.Status.ACTIVE
    if form is None and may_bid:
        initial: dict[str, Any] = {}
        if bid is not None:
            initial = {
                "unit_price": bid.unit_price,
                "lead_time_days": bid.lead_time_days,
                "capacity": bid.capacity,
            }
        form = BidForm(initial=initial)
    listing = None
    if result == "won":
        listing = Listing.objects.filter(
            supplier_id=supplier.pk, product_id=tender.product_id, mode=Listing.Mode.FULLY_MANAGED
        ).first()
    product = tender.product
    return render(
        request,
        "portal/catalogue/tender_detail.html",
        {
            "tender": tender,
            "product": product,
            "attributes": attributes_text(product.attributes or {}, "; "),
            "bid": bid,
            "outcome": result,
            "form": form if may_bid else None,
            "errors": error_summary(form) if may_bid else [],
            "listing": listing,
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def tender_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    tender = get_object_or_404(_tenders(request), pk=pk)
    if request.method != "POST":
        return _page(request, tender)
    form = BidForm(request.POST)
    if form.is_valid():
        try:
            bid = bid_place(tender, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request,
                _("Your sealed bid is %(price)s CNY a unit. Only you can see it.")
                % {"price": bid.unit_price},
            )
            return redirect("portal:tender_detail", pk=tender.pk)
    return _page(request, tender, form)
