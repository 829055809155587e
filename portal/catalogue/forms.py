"""The forms of the catalogue pages: products and their pictures, listings, price proposals,
overseas stock, the bulk import and tender bids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalogue.models import (
    Category,
    Listing,
    Market,
    Product,
)
from catalogue.services.products import (
    IMAGE_MAX_BYTES,
    attributes_text,
)
from suppliers.models import Supplier


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
    origin_country = forms.CharField(
        label=gettext_lazy("Country of origin"),
        max_length=2,
        initial="CN",
        help_text=gettext_lazy("Where it is made: a two-letter code, e.g. CN, VN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}),
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
            "origin_country": product.origin_country,
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


class RestockSettingsForm(forms.Form):
    """How a fully-managed listing is restocked: the case pack and the production lead time."""

    case_pack = forms.IntegerField(
        label=gettext_lazy("Units in one case"),
        min_value=1,
        max_value=100_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=gettext_lazy("Restock proposals ask for whole cases."),
    )
    production_lead_days = forms.IntegerField(
        label=gettext_lazy("Production lead time (days)"),
        required=False,
        min_value=0,
        max_value=365,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=gettext_lazy(
            "Days you need to produce a stocking order of this listing. Blank: the platform's "
            "default (%(days)s days)."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["production_lead_days"].help_text = str(
            self.fields["production_lead_days"].help_text
        ) % {"days": settings.RESTOCK_PRODUCTION_DAYS}


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
