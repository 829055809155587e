"""Landed cost for operators (admin /admin/landed-cost/): each listing in each market with the
four terms (goods, freight share, duty, tax) and their sum for one unit shipped today, from
shipping.selectors.landed_cost. Filterable by market, listing status and supplier; 50 listings a
page, each page a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogue.models import Listing
from customs.selectors.rates import WHOLE_UNITS
from marketplace.formatting import EMPTY, money
from marketplace.markets import Market
from shipping.selectors.landed_cost import LandedCost, landed_costs
from suppliers.models import Supplier

PERMISSION = "catalogue.view_listing"
PAGE_SIZE = 50


class LandedCostFilterForm(forms.Form):
    market = forms.ChoiceField(
        choices=[("", gettext_lazy("All markets")), *Market.choices],
        required=False,
        label=gettext_lazy("Market"),
    )
    status = forms.ChoiceField(
        choices=[("", gettext_lazy("Any status")), *Listing.Status.choices],
        required=False,
        label=gettext_lazy("Status"),
    )
    supplier = forms.ModelChoiceField(
        Supplier.objects.order_by("name_en"),
        required=False,
        label=gettext_lazy("Supplier"),
        empty_label=gettext_lazy("All suppliers"),
    )


def shown(value: Decimal | None, currency: str) -> str:
    """Money as the admin writes it, a currency without minor units (the yen) whole:
    "1,234 JPY", not "1,234.00 JPY"."""
    if value is None:
        return EMPTY
    if currency in WHOLE_UNITS:
        return f"{value:,.0f} {currency}"
    return money(value, currency)


@dataclass(frozen=True)
class CostRow:
    """A landed cost as the page shows it: the market by name, each figure written."""

    cost: LandedCost
    market: str
    goods: str
    freight: str
    duty: str
    tax: str
    total: str


def cost_row(cost: LandedCost) -> CostRow:
    return CostRow(
        cost=cost,
        market=str(Market(cost.market).label),
        goods=shown(cost.goods, cost.currency),
        freight=shown(cost.freight, cost.currency),
        duty=shown(cost.duty, cost.currency),
        tax=shown(cost.tax, cost.currency),
        total=shown(cost.total, cost.currency),
    )


def landed_cost_view(request: HttpRequest, site: Any) -> HttpResponse:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = LandedCostFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    markets = [data["market"]] if data.get("market") else list(Market.values)
    listings = Listing.objects.select_related("product", "supplier").order_by("-created_at", "-id")
    if data.get("status"):
        listings = listings.filter(status=data["status"])
    if data.get("supplier"):
        listings = listings.filter(supplier=data["supplier"])
    page = Paginator(listings, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    costs = landed_costs(list(page.object_list), markets, day=today)
    by_listing: dict[int, list[Any]] = {}
    for cost in costs:
        by_listing.setdefault(cost.listing_id, []).append(cost_row(cost))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        **site.each_context(request),
        "title": _("Landed cost"),
        "form": form,
        "page": page,
        "rows": [(listing, by_listing.get(listing.pk, [])) for listing in page.object_list],
        "today": today,
        "query": query.urlencode(),
    }
    return TemplateResponse(request, "admin/landed_cost.html", context)
