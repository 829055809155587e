"""The supplier's catalogue: products with their pictures, listings (state, next step, price
rounds, retail prices, overseas stock) and the bulk import. Every record is fetched within the
member's supplier, so another supplier's id is a 404; every change goes through a service."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue.models import (
    Category,
    Listing,
    Market,
    PriceRound,
    Product,
    ProductImage,
)
from catalogue.services.imports import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    ImportInvalid,
    ImportPreview,
    import_commit,
    import_preview,
    import_template,
)
from catalogue.services.listings import (
    NEXT_STEP,
    listing_create,
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
from catalogue.services.products import (
    IMAGE_MAX_BYTES,
    attributes_text,
    product_create,
    product_image_add,
    product_update,
)
from marketplace.errors import DomainError
from suppliers.models import Supplier

from .access import SupplierRequest, supplier_required
from .errors import show_domain_error
from .forms import error_summary

PAGE_SIZE = 25
IMPORT_SESSION_KEY = "catalogue_import"
IMPORT_DONE_KEY = "catalogue_import_done"
# The parsed rows wait in the session between preview and confirmation; a file that would
# make the session this large is refused (split it).
IMPORT_SESSION_MAX_BYTES = 1024 * 1024
IMPORT_GUARD_SECONDS = 3600


def next_step(status: str) -> str:
    return str(NEXT_STEP.get(status, ""))  # type: ignore[call-overload]


# --- Forms -----------------------------------------------------------------------------------


class ProductForm(forms.Form):
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200)
    title_zh = forms.CharField(label=gettext_lazy("Title (Chinese)"), max_length=200)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.order_by("code"),
        to_field_name="code",
    )
    hs_code = forms.CharField(
        label=gettext_lazy("HS code"),
        max_length=20,
        help_text=gettext_lazy("6 to 10 digits, e.g. 950300."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    weight_g = forms.IntegerField(label=gettext_lazy("Weight (g)"), min_value=1)
    length_cm = forms.DecimalField(
        label=gettext_lazy("Length (cm)"), max_digits=7, decimal_places=1, min_value=Decimal("0.1")
    )
    width_cm = forms.DecimalField(
        label=gettext_lazy("Width (cm)"), max_digits=7, decimal_places=1, min_value=Decimal("0.1")
    )
    height_cm = forms.DecimalField(
        label=gettext_lazy("Height (cm)"), max_digits=7, decimal_places=1, min_value=Decimal("0.1")
    )
    declared_value_usd = forms.DecimalField(
        label=gettext_lazy("Declared value (USD)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
    )
    attributes = forms.CharField(
        label=gettext_lazy("Attributes"),
        required=False,
        max_length=4000,
        help_text=gettext_lazy("One name=value a line, e.g. material=ABS."),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "material=ABS\nage=3+"}),
    )

    @staticmethod
    def initial_for(product: Product) -> dict[str, Any]:
        return {
            "title_en": product.title_en,
            "title_zh": product.title_zh,
            "category": product.category.code,
            "hs_code": product.hs_code,
            "weight_g": product.weight_g,
            "length_cm": product.length_cm,
            "width_cm": product.width_cm,
            "height_cm": product.height_cm,
            "declared_value_usd": product.declared_value_usd,
            "attributes": attributes_text(product.attributes or {}),
        }


class ProductImageForm(forms.Form):
    image = forms.FileField(
        label=gettext_lazy("Picture"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _("JPEG, PNG or WebP, at most %(limit)s.") % {
            "limit": filesizeformat(IMAGE_MAX_BYTES)
        }


class ListingCreateForm(forms.Form):
    product = forms.ModelChoiceField(label=gettext_lazy("Product"), queryset=Product.objects.none())
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"),
        choices=Listing.Mode.choices,
        widget=forms.RadioSelect,
        initial=Listing.Mode.FULLY_MANAGED,
        help_text=gettext_lazy(
            "Fully managed: you deliver to our warehouse in China. Semi managed: you keep stock "
            "in your own overseas warehouse and ship to the consumer."
        ),
    )
    is_jit = forms.BooleanField(
        label=gettext_lazy("JIT: sell before stock exists (fully managed only)"), required=False
    )

    def __init__(self, *args: Any, supplier: Supplier, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Product.objects.filter(owner=supplier).order_by("title_en", "pk")
        if not supplier.jit_enrolled:
            del self.fields["is_jit"]


class ListingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *Listing.Status.choices],
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"),
        required=False,
        choices=[("", gettext_lazy("Both modes")), *Listing.Mode.choices],
    )
    q = forms.CharField(label=gettext_lazy("Product"), required=False, max_length=100)


class PriceProposeForm(forms.Form):
    price = forms.DecimalField(
        label=gettext_lazy("Supply price (CNY per unit)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=300)


class OverseasStockForm(forms.Form):
    """One quantity per market, prefilled with what was reported; blank leaves it as it is."""

    def __init__(self, *args: Any, current: dict[str, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current
        for market, label in Market.choices:
            self.fields[market] = forms.IntegerField(
                label=label,
                required=False,
                min_value=0,
                max_value=2_147_483_647,
                initial=current.get(market),
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    def changes(self) -> dict[str, int]:
        return {
            market: quantity
            for market, quantity in self.cleaned_data.items()
            if quantity is not None and quantity != self.current.get(market)
        }


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or XLSX file"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,.xlsx,text/csv,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


# --- Products --------------------------------------------------------------------------------


def _products(request: SupplierRequest) -> QuerySet[Product]:
    return Product.objects.filter(owner_id=request.membership.supplier_id)


def _product(request: SupplierRequest, pk: int) -> Product:
    return get_object_or_404(_products(request).select_related("category"), pk=pk)


@supplier_required
@require_GET
def products(request: SupplierRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    found = _products(request).select_related("category")
    if query:
        found = found.filter(
            Q(title_en__icontains=query)
            | Q(title_zh__icontains=query)
            | Q(hs_code__startswith=query)
        )
    found = (
        found.annotate(listing_count=Count("listings"))
        .order_by("-created_at", "-id")
        .prefetch_related(
            Prefetch("images", queryset=ProductImage.objects.order_by("position", "id"))
        )
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/catalogue/products.html", {"page_obj": page, "query": query})


@supplier_required
@require_http_methods(["GET", "POST"])
def product_new(request: SupplierRequest) -> HttpResponse:
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = product_create(
                request.membership.supplier, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Product created. Add its pictures below."))
            return redirect("portal:product_edit", pk=product.pk)
    return render(
        request,
        "portal/catalogue/product_form.html",
        {"form": form, "errors": error_summary(form), "product": None},
    )


def _product_page(
    request: SupplierRequest,
    product: Product,
    form: ProductForm | None = None,
    image_form: ProductImageForm | None = None,
) -> HttpResponse:
    form = form or ProductForm(initial=ProductForm.initial_for(product))
    image_form = image_form or ProductImageForm()
    listings = product.listings.filter(supplier_id=request.membership.supplier_id)
    return render(
        request,
        "portal/catalogue/product_form.html",
        {
            "product": product,
            "form": form,
            "image_form": image_form,
            "errors": error_summary(form, image_form),
            "images": list(product.images.order_by("position", "id")),
            "listings": list(listings.order_by("mode")),
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def product_edit(request: SupplierRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    if request.method != "POST":
        return _product_page(request, product)
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            product_update(
                product,
                supplier=request.membership.supplier,
                actor=request.user,
                **form.cleaned_data,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Product saved."))
            return redirect("portal:product_edit", pk=product.pk)
    return _product_page(request, product, form=form)


@supplier_required
@require_POST
def product_image_upload(request: SupplierRequest, pk: int) -> HttpResponse:
    product = _product(request, pk)
    image_form = ProductImageForm(request.POST, request.FILES)
    if image_form.is_valid():
        try:
            product_image_add(
                product,
                supplier=request.membership.supplier,
                actor=request.user,
                upload=image_form.cleaned_data["image"],
            )
        except DomainError as error:
            show_domain_error(request, error, image_form)
        else:
            messages.success(request, _("Picture added."))
            return redirect("portal:product_edit", pk=product.pk)
    return _product_page(request, product, image_form=image_form)


@supplier_required
@require_GET
def product_image(request: SupplierRequest, pk: int, image_pk: int, variant: str) -> FileResponse:
    """A picture of one of the supplier's products (media is not served publicly)."""
    if variant not in ("thumb", "full"):
        raise Http404
    image = get_object_or_404(
        ProductImage, pk=image_pk, product_id=pk, product__owner_id=request.membership.supplier_id
    )
    stored = image.thumbnail if variant == "thumb" else image.image
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = "jpeg" if variant == "thumb" else stored.name.rsplit(".", 1)[-1].replace("jpg", "jpeg")
    response = FileResponse(handle, content_type=f"image/{kind}")
    response["Cache-Control"] = "private, max-age=86400"
    return response


# --- Listings --------------------------------------------------------------------------------


def _listings(request: SupplierRequest) -> QuerySet[Listing]:
    return Listing.objects.filter(supplier_id=request.membership.supplier_id)


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
            "has_products": _products(request).exists(),
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
) -> HttpResponse:
    rounds = list(listing.price_rounds.order_by("-number"))
    open_round = next((r for r in rounds if r.is_open), None)
    stock = {s.market: s for s in listing.overseas_stock.all()}
    semi = listing.mode == Listing.Mode.SEMI_MANAGED
    if price_form is None and open_round is None and listing.status in PROPOSABLE:
        price_form = PriceProposeForm()
    if stock_form is None and semi and listing.status != Listing.Status.DELISTED:
        stock_form = OverseasStockForm(current={market: s.quantity for market, s in stock.items()})
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
            "errors": error_summary(price_form, stock_form),
            "images": list(listing.product.images.order_by("position", "id")[:1]),
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


# --- Bulk import -----------------------------------------------------------------------------


def _import_page(
    request: SupplierRequest,
    form: ImportUploadForm,
    preview: ImportPreview | None = None,
    token: str = "",
    name: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/catalogue/import.html",
        {
            "form": form,
            "preview": preview,
            "token": token,
            "name": name,
            "max_rows": IMPORT_MAX_ROWS,
            "max_bytes": IMPORT_MAX_BYTES,
        },
        status=status,
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def catalogue_import(request: SupplierRequest) -> HttpResponse:
    """Upload, then a preview of every row with its errors; the rows wait in the session."""
    if request.method != "POST":
        return _import_page(request, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    request.session.pop(IMPORT_SESSION_KEY, None)
    if not form.is_valid():
        return _import_page(request, form)
    upload = form.cleaned_data["file"]
    supplier = request.membership.supplier
    try:
        preview = import_preview(upload, supplier, name=upload.name or "")
    except DomainError as error:
        show_domain_error(request, error, form)
        return _import_page(request, form)
    token = ""
    if preview.valid:
        pending = {
            "token": secrets.token_urlsafe(16),
            "supplier": supplier.pk,
            "name": upload.name,
            "rows": preview.stored(),
        }
        if len(json.dumps(pending, ensure_ascii=False).encode()) > IMPORT_SESSION_MAX_BYTES:
            form.add_error("file", _("The file holds too much text to preview; split it."))
            return _import_page(request, form)
        request.session[IMPORT_SESSION_KEY] = pending
        token = pending["token"]
    return _import_page(request, ImportUploadForm(), preview, token=token, name=upload.name)


@supplier_required
@require_POST
def catalogue_import_confirm(request: SupplierRequest) -> HttpResponse:
    supplier = request.membership.supplier
    pending = request.session.get(IMPORT_SESSION_KEY) or {}
    token = request.POST.get("token", "")
    if not token or pending.get("token") != token or pending.get("supplier") != supplier.pk:
        messages.error(
            request, _("This preview has expired or was already imported; upload the file again.")
        )
        return redirect("portal:catalogue_import")
    # A double click sends the confirmation twice: only one of them imports.
    guard = f"portal:catalogue-import:{token}"
    if not cache.add(guard, 1, IMPORT_GUARD_SECONDS):
        messages.error(request, _("This file is already being imported."))
        return redirect("portal:catalogue_import")
    try:
        result = import_commit(pending["rows"], supplier, actor=request.user)
    except ImportInvalid as error:
        cache.delete(guard)
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.error(request, error.message)
        return _import_page(
            request, ImportUploadForm(), error.preview, name=pending.get("name", "")
        )
    except DomainError as error:
        cache.delete(guard)
        request.session.pop(IMPORT_SESSION_KEY, None)
        show_domain_error(request, error)
        return redirect("portal:catalogue_import")
    request.session.pop(IMPORT_SESSION_KEY, None)
    request.session[IMPORT_DONE_KEY] = {
        "name": pending.get("name", ""),
        "listings": [listing.pk for listing in result.listings],
        "rounds": len(result.rounds),
    }
    return redirect("portal:catalogue_import_done")


@supplier_required
@require_GET
def catalogue_import_done(request: SupplierRequest) -> HttpResponse:
    done = request.session.get(IMPORT_DONE_KEY)
    if not done:
        return redirect("portal:catalogue_import")
    imported = _listings(request).filter(pk__in=done.get("listings", [])).select_related("product")
    page = Paginator(imported.order_by("pk"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/catalogue/import_done.html",
        {"done": done, "page_obj": page, "count": len(done.get("listings", []))},
    )


@supplier_required
@require_GET
def catalogue_import_template(request: SupplierRequest) -> HttpResponse:
    response = HttpResponse("\ufeff" + import_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalogue-import-template.csv"'
    return response
