"""The forms of the supplier's evidence pages: upload a test record (its PDF and measured
values), upload a certificate (its PDF and eFiling data), complete a certificate's eFiling data.
They check the input's shape; the services check the rules and name the field they refuse."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from catalogue.models import Product
from compliance.models import Certificate, Lab, Standard, TestRecord
from compliance.services.records import MeasuredValue, measured_values_from_lines
from marketplace.errors import DomainError

DATE = forms.DateInput(attrs={"type": "date"})


def supplier_products(supplier_id: int) -> QuerySet[Product]:
    """The products a supplier made or lists: what its evidence may be about."""
    return (
        Product.objects.filter(Q(owner_id=supplier_id) | Q(listings__supplier_id=supplier_id))
        .distinct()
        .order_by("title_en")
    )


class ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title_zh} / {obj.title_en}"


class ProductChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.title_zh} / {obj.title_en}"


class StandardChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} ({obj.market})"


class StandardChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} ({obj.market}) · {obj.title}"


class RecordUploadForm(forms.Form):
    product = ProductChoice(label=_("Product"), queryset=Product.objects.none())
    standard = StandardChoice(label=_("Standard"), queryset=Standard.objects.all())
    lab = forms.ModelChoiceField(
        label=_("Lab"), queryset=Lab.objects.filter(status=Lab.Status.ACTIVE)
    )
    report_number = forms.CharField(label=_("Report number"), max_length=100)
    result = forms.ChoiceField(label=_("Result"), choices=TestRecord.Result.choices)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    report_file = forms.FileField(
        label=_("Report (PDF)"), help_text=_("The lab's report as a PDF file.")
    )
    measured = forms.CharField(
        label=_("Measured values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line: parameter, value, unit (e.g. lead_substrate 42.5 ppm)."),
    )

    def __init__(self, *args: Any, supplier_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = supplier_products(supplier_id)

    def clean_measured(self) -> list[MeasuredValue]:
        try:
            return measured_values_from_lines(self.cleaned_data.get("measured") or "")
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class EfilingForm(forms.Form):
    """What a US entry carries (CPSC eFiling)."""

    rules_cited = forms.CharField(
        label=_("Rules cited"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Each safety rule the product is certified to."),
    )
    certifier = forms.CharField(
        label=_("Certifier"),
        required=False,
        max_length=300,
        help_text=_("Importer or domestic manufacturer certifying, with contact."),
    )
    manufactured_on = forms.DateField(label=_("Date of manufacture"), required=False, widget=DATE)
    manufactured_at = forms.CharField(
        label=_("Place of manufacture"), required=False, max_length=300
    )
    last_tested_on = forms.DateField(label=_("Date of last test"), required=False, widget=DATE)
    last_tested_at = forms.CharField(label=_("Place of last test"), required=False, max_length=300)
    test_lab = forms.ModelChoiceField(
        label=_("Testing lab"), required=False, queryset=Lab.objects.all()
    )
    records_keeper = forms.CharField(
        label=_("Records keeper"),
        required=False,
        max_length=300,
        help_text=_("Who keeps the test records, with contact."),
    )

    @classmethod
    def of(cls, certificate: Certificate) -> EfilingForm:
        return cls(
            initial={
                "rules_cited": certificate.rules_cited,
                "certifier": certificate.certifier,
                "manufactured_on": certificate.manufactured_on,
                "manufactured_at": certificate.manufactured_at,
                "last_tested_on": certificate.last_tested_on,
                "last_tested_at": certificate.last_tested_at,
                "test_lab": certificate.test_lab_id,
                "records_keeper": certificate.records_keeper,
            }
        )


class CertificateUploadForm(EfilingForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Certificate.Kind.choices)
    issuer = forms.CharField(label=_("Issuer"), max_length=200)
    number = forms.CharField(label=_("Certificate number"), max_length=100)
    scope = forms.CharField(
        label=_("Scope"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    products = ProductChoices(
        label=_("Products"), queryset=Product.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    standards = StandardChoices(label=_("Standards"), queryset=Standard.objects.all())
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE)
    valid_until = forms.DateField(label=_("Valid until"), widget=DATE)
    file = forms.FileField(label=_("Certificate (PDF)"))

    field_order = [
        "kind",
        "issuer",
        "number",
        "scope",
        "products",
        "standards",
        "issued_on",
        "valid_until",
        "file",
    ]

    def __init__(self, *args: Any, supplier_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["products"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = supplier_products(supplier_id)

    def efiling(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in EfilingForm.base_fields}
