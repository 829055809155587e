"""The supplier's listings in the portal: state and next step, price rounds, retail prices and
overseas stock. Every listing is read through `catalogue.selectors.listings_visible_to`; every
change goes through a service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue.models import (
    Listing,
    Market,
    PriceRound,
)
from catalogue.selectors import listings_visible_to
from catalogue.services.listings import (
    NEXT_STEP,
    listing_create,
    listing_restock_set,
    overseas_stock_report,
    sellable_markets,
)
from catalogue.services.prices import (
    PROPOSABLE,
    price_accept_counter,
    price_propose,
    price_round_open,
    price_withdraw,
)
from marketplace.errors import DomainError

from ..access import SupplierRequest, supplier_required
from ..compliance.overview import listing_compliance
from ..errors import error_summary, show_domain_error
from .forms import (
    ListingCreateForm,
    ListingFilterForm,
    OverseasStockForm,
    PriceProposeForm,
    RestockSettingsForm,
)
from .products import _products

PAGE_SIZE = 25


def next_step(status: str) -> str:
    return str(NEXT_STEP.get(status, ""))  # type: ignore[call-overload]


def _listings(request: SupplierRequest) -> QuerySet[Listing]:
    return listings_visible_to(request.user)


@supplier_required
@require_GET
def listings(request: SupplierRequest) -> HttpResponse:
    form = ListingFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    found = _listings(request).select_related("product")
    if data.get("status"):
        found = found.filter(status=data["status"])
    if data.get("mode"):
        found = found.filter(mode=data["mode"])
    if data.get("q"):
        found = found.filter(
            Q(product__title_en__icontains=data["q"]) | Q(product__title_zh__icontains=data["q"])
        )
    found = found.prefetch_related(
        Prefetch(
            "price_rounds",
            queryset=PriceRound.objects.filter(status__in=PriceRound.OPEN),
            to_attr="open_rounds",
        )
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(listing, next_step(listing.status)) for listing in page.object_list]
    return render(
        request,
        "portal/catalogue/listings.html",
        {
            "form": form,
            "page_obj": page,
            "rows": rows,
            "filtered": any(data.get(name) for name in ("status", "mode", "q")),
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def listing_new(request: SupplierRequest) -> HttpResponse:
    supplier = request.membership.supplier
    initial = {"product": request.GET.get("product")} if request.GET.get("product") else None
    form = ListingCreateForm(request.POST or None, supplier=supplier, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = listing_create(
                supplier,
                form.cleaned_data["product"],
                mode=form.cleaned_data["mode"],
                is_jit=form.cleaned_data.get("is_jit", False),
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Listing created. Propose a supply price to submit it."))
            return redirect("portal:listing_detail", pk=listing.pk)
    return render(
        request,
        "portal/catalogue/listing_form.html",
        {
            "form": form,
            "errors": error_summary(form),
            "has_products": _products(request).filter(owner=supplier).exists(),
            "supplier": supplier,
        },
    )


def _listing(request: SupplierRequest, pk: int) -> Listing:
    return get_object_or_404(
        _listings(request).select_related("product", "product__category"), pk=pk
    )


def _listing_page(
    request: SupplierRequest,
    listing: Listing,
    price_form: PriceProposeForm | None = None,
    stock_form: OverseasStockForm | None = None,
    restock_form: RestockSettingsForm | None = None,
) -> HttpResponse:
    rounds = list(listing.price_rounds.order_by("-number"))
    open_round = next((r for r in rounds if r.is_open), None)
    stock = {s.market: s for s in listing.overseas_stock.all()}
    semi = listing.mode == Listing.Mode.SEMI_MANAGED
    if price_form is None and open_round is None and listing.status in PROPOSABLE:
        price_form = PriceProposeForm()
    if stock_form is None and semi and listing.status != Listing.Status.DELISTED:
        stock_form = OverseasStockForm(current={market: s.quantity for market, s in stock.items()})
    if (
        restock_form is None
        and listing.mode == Listing.Mode.FULLY_MANAGED
        and listing.status != Listing.Status.DELISTED
    ):
        restock_form = RestockSettingsForm(
            initial={
                "case_pack": listing.case_pack,
                "production_lead_days": listing.production_lead_days,
            }
        )
    return render(
        request,
        "portal/catalogue/listing_detail.html",
        {
            "listing": listing,
            "next_step": next_step(listing.status),
            "rounds": rounds,
            "open_round": open_round,
            "prices": list(listing.prices.order_by("market")),
            "stock": [(market, label, stock.get(market)) for market, label in Market.choices],
            "sellable": sellable_markets(listing),
            "price_form": price_form,
            "stock_form": stock_form,
            "restock_form": restock_form,
            "errors": error_summary(price_form, stock_form, restock_form),
            "images": list(listing.product.images.order_by("position", "id")[:1]),
            **listing_compliance(listing),
        },
    )


@supplier_required
@require_GET
def listing_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    return _listing_page(request, _listing(request, pk))


@supplier_required
@require_POST
def listing_price(request: SupplierRequest, pk: int) -> HttpResponse:
    listing = _listing(request, pk)
    form = PriceProposeForm(request.POST)
    if form.is_valid():
        try:
            round_ = price_propose(
                listing,
                price=form.cleaned_data["price"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request,
                _("Round %(number)d: you proposed %(price)s CNY.")
                % {"number": round_.number, "price": round_.proposed_price},
            )
            return redirect("portal:listing_detail", pk=listing.pk)
    return _listing_page(request, listing, price_form=form)


@supplier_required
@require_POST
def listing_accept_counter(request: SupplierRequest, pk: int) -> HttpResponse:
    listing = _listing(request, pk)
    try:
        round_ = price_accept_counter(price_round_open(listing), actor=request.user)
    except DomainError as error:
        show_domain_error(request, error)
    else:
        messages.success(
            request,
            _("You accepted %(price)s CNY; the listing goes to compliance review.")
            % {"price": round_.agreed_price},
        )
    return redirect("portal:listing_detail", pk=listing.pk)


@supplier_required
@require_POST
def listing_withdraw(request: SupplierRequest, pk: int) -> HttpResponse:
    listing = _listing(request, pk)
    try:
        price_withdraw(price_round_open(listing), actor=request.user)
    except DomainError as error:
        show_domain_error(request, error)
    else:
        messages.success(request, _("Price withdrawn; the listing is a draft again."))
    return redirect("portal:listing_detail", pk=listing.pk)


@supplier_required
@require_POST
def listing_stock(request: SupplierRequest, pk: int) -> HttpResponse:
    listing = _listing(request, pk)
    current = dict(listing.overseas_stock.values_list("market", "quantity"))
    form = OverseasStockForm(request.POST, current=current)
    if form.is_valid():
        changes = form.changes()
        try:
            for market, quantity in changes.items():
                overseas_stock_report(listing, market=market, quantity=quantity, actor=request.user)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            if changes:
                messages.success(
                    request,
                    _("Stock reported for %(markets)s.") % {"markets": ", ".join(changes)},
                )
            else:
                messages.info(request, _("No quantity changed."))
            return redirect("portal:listing_detail", pk=listing.pk)
    return _listing_page(request, listing, stock_form=form)


@supplier_required
@require_POST
def listing_restock(request: SupplierRequest, pk: int) -> HttpResponse:
    """The supplier sets the listing's case pack and production lead time."""
    listing = _listing(request, pk)
    form = RestockSettingsForm(request.POST)
    if form.is_valid():
        try:
            listing_restock_set(
                listing,
                case_pack=form.cleaned_data["case_pack"],
                production_lead_days=form.cleaned_data["production_lead_days"],
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Restock settings saved."))
            return redirect("portal:listing_detail", pk=listing.pk)
    return _listing_page(request, listing, restock_form=form)
