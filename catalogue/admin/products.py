"""Products: described by their suppliers; operators set reference prices and write tender
specifications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import ReadOnlyInline
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.formatting import money_display

from ..models import Product, ProductImage
from ..services.products import EDITABLE, product_fields_clean
from .common import EMPTY, CategoryTreeFilter


class ProductForm(forms.ModelForm):
    """The product rules are the portal's and the import's (`product_fields_clean`)."""

    class Meta:
        model = Product
        fields = [*EDITABLE, "reference_price_cny"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = {name: cleaned[name] for name in EDITABLE if name in cleaned}
        try:
            cleaned.update(product_fields_clean(given, partial=True))
        except DomainError as error:
            for name, errors in error.fields.items():
                self.add_error(name if name in self.fields else None, list(errors))
        return cleaned


class ProductImageInline(ReadOnlyInline):
    model = ProductImage
    readonly_fields = ("preview", "image", "position")
    fields = readonly_fields

    @admin.display(description=_("thumbnail"))
    def preview(self, image: ProductImage) -> str:
        if not image.thumbnail:
            return EMPTY
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height: 120px"></a>',
            image.image.url,
            image.thumbnail.url,
        )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """A supplier describes its own products (portal, import); here operators set the platform's
    reference price on them, and write the specifications tenders ask for (no owner)."""

    form = ProductForm
    list_display = [
        "title_en",
        "title_zh",
        "category",
        "hs_code",
        "owner",
        "reference_price",
        "thumbnail",
        "created_at",
    ]
    list_filter = [CategoryTreeFilter, ("owner", admin.EmptyFieldListFilter)]
    search_fields = ["title_en", "title_zh", "hs_code"]
    list_select_related = ["category", "owner"]
    raw_id_fields = ["category"]
    inlines = [ProductImageInline]
    actions = [export_csv]

    reference_price = money_display("reference_price_cny", _("reference price"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).prefetch_related("images")

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> Any:
        if obj is not None and obj.owner_id is not None:
            return [*EDITABLE, "owner", "created_at"]
        return ["owner", "created_at"]

    @admin.display(description=_("picture"))
    def thumbnail(self, product: Product) -> str:
        first = next(iter(product.images.all()), None)
        if first is None or not first.thumbnail:
            return EMPTY
        return format_html('<img src="{}" alt="" style="max-height: 40px">', first.thumbnail.url)
