"""The supplier's products in the portal: the list, a new product, editing one and its pictures.
Every product is read through `catalogue.selectors.products_visible_to`, so another supplier's id
is a 404; every change goes through a service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue.models import (
    Product,
    ProductImage,
)
from catalogue.selectors import products_visible_to
from catalogue.services.products import (
    product_create,
    product_image_add,
    product_update,
)
from marketplace.errors import DomainError
from marketplace.files import private_file

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error
from .forms import (
    ProductForm,
    ProductImageForm,
)

PAGE_SIZE = 25


def _products(request: SupplierRequest) -> QuerySet[Product]:
    return products_visible_to(request.user)


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
        # Its own listings only: a platform product is listed by other suppliers too.
        found.annotate(
            listing_count=Count(
                "listings", filter=Q(listings__supplier_id=request.membership.supplier_id)
            )
        )
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
            # The platform's own products (a tender's specification) are sold, not edited, here.
            "editable": product.owner_id == request.membership.supplier_id,
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
        ProductImage, pk=image_pk, product__in=_products(request).filter(pk=pk)
    )
    return private_file(image.thumbnail if variant == "thumb" else image.image, max_age=86400)
