"""Compliance officers' evidence screens: labs with their accreditations and API client, test
records (entered through the service for a second officer to verify; verified or rejected by
the actions), certificates (checked with their issuer by the actions; eFiling data editable),
and the fraud-signal queue. Every change goes through compliance.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import (
    ReadOnlyInline,
    ServiceAddAdmin,
    ServiceInputForm,
    SupplierNameColumn,
    admin_actor,
    apply_each,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.files import private_file
from marketplace.formatting import local_name, when

from ..models import Certificate, Lab, LabAccreditation, Measurement, TestRecord
from ..selectors.evidence import measurements_of
from ..selectors.fraud import CODES, code_labels, signals_of, suspect_records, with_fraud_flags
from ..services.certificates import (
    EFILING_DATES,
    EFILING_TEXT,
    CertificateIn,
    certificate_enter,
    certificate_reject,
    certificate_update_efiling,
    certificate_verify,
)
from ..services.records import (
    MeasuredValue,
    RecordIn,
    measured_values_from_lines,
    test_record_enter,
    test_record_reject,
    test_record_verify,
)

EMPTY = "-"


# --- Labs -------------------------------------------------------------------------------------


class AccreditationInline(admin.TabularInline):
    model = LabAccreditation
    extra = 0
    fields = ["standard", "valid_from", "valid_until"]


@admin.register(Lab)
class LabAdmin(admin.ModelAdmin):
    """Labs: accreditation body and number, the standards they are accredited for (with dates),
    CPSC acceptance, status, and the API client through which they post results."""

    list_display = [
        "name",
        "country",
        "accreditation_body",
        "accreditation_number",
        "cpsc_accepted",
        "status",
        "api_client",
    ]
    list_filter = ["status", "cpsc_accepted", "country"]
    search_fields = ["name", "accreditation_number"]
    list_select_related = ["api_client"]
    raw_id_fields = ["api_client"]
    inlines = [AccreditationInline]


# --- Test records -----------------------------------------------------------------------------


class TestRecordEntryForm(ServiceInputForm):
    """An officer types a record in: the form checks the input's shape; the service checks the
    rules (dates, the supplier's product, the report number) and names the field it refuses."""

    __test__ = False

    measured = forms.CharField(
        label=_("measured values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One a line: parameter, value, unit (e.g. lead_substrate 42.5 ppm)."),
    )

    class Meta:
        model = TestRecord
        fields = [
            "product",
            "supplier",
            "standard",
            "lab",
            "report_number",
            "result",
            "issued_on",
            "valid_until",
            "report_file",
        ]

    def clean_measured(self) -> list[MeasuredValue]:
        try:
            return measured_values_from_lines(self.cleaned_data.get("measured") or "")
        except DomainError as error:
            raise forms.ValidationError(error.message) from None


class MeasurementInline(ReadOnlyInline):
    model = Measurement
    fields = readonly_fields = (
        "parameter",
        "value",
        "unit",
        "minimum",
        "maximum",
        "warn_within",
        "verdict",
    )


class NoteActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": _("required to reject")}),
    )


class FraudFilter(admin.SimpleListFilter):
    title = _("fraud signal")
    parameter_name = "fraud"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("any", _("Any signal")), *code_labels().items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[TestRecord]) -> Any:
        value = self.value()
        if value == "any":
            return suspect_records(queryset)
        if value in CODES:
            return suspect_records(queryset, codes=[value])
        return queryset


def _note(request: HttpRequest) -> str:
    return request.POST.get("note", "").strip()


def _flags(record: TestRecord) -> str:
    signals = signals_of(record)
    if not signals:
        return EMPTY
    return format_html_join("", "<div>⚠ {}</div>", ((reason,) for _code, reason in signals))


@admin.register(TestRecord)
class TestRecordAdmin(SupplierNameColumn, ServiceAddAdmin):
    """Test records from the three doors. An officer's entry (the add form, through the service)
    counts once a second officer verifies it; a supplier's upload once an officer verifies it or
    the lab posts the same report. Records are never edited: a retest supersedes them."""

    form = TestRecordEntryForm
    action_form = NoteActionForm
    list_display = [
        "report_number",
        "standard",
        "product_title",
        "supplier_name",
        "result",
        "status",
        "valid_until",
        "superseded",
        "fraud_flags",
        "report_link",
    ]
    list_filter = ["status", "source", "result", FraudFilter, "standard__market", "issued_on"]
    search_fields = [
        "report_number",
        "standard__code",
        "lab__name",
        "product__title_en",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    list_select_related = ["product", "supplier", "standard", "lab"]
    raw_id_fields = ["product", "supplier"]
    show_full_result_count = False
    view_fields = [
        "product",
        "supplier",
        "standard",
        "lab",
        "report_number",
        "result",
        "issued_on",
        "valid_until",
        "report_link",
        "report_sha256",
        "source",
        "status",
        "recorded_by",
        "recorded_via",
        "recorded_at",
        "verified_by",
        "verified_at",
        "status_note",
        "superseded_by",
        "superseded_at",
        "sampling_request",
        "fraud_flags",
        "specification_changes",
    ]
    actions = ["verify", "reject", export_csv]

    @admin.display(description=_("product"), ordering="product__title_en")
    def product_title(self, record: TestRecord) -> str:
        return local_name(record.product.title_en, record.product.title_zh)

    def get_queryset(self, request: HttpRequest) -> QuerySet[TestRecord]:
        return with_fraud_flags(super().get_queryset(request))

    def get_fields(self, request: HttpRequest, obj: TestRecord | None = None) -> Any:
        return [*TestRecordEntryForm.Meta.fields, "measured"] if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: TestRecord | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: TestRecord | None) -> Any:
        return [] if obj is None else [MeasurementInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the actions; a record is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> TestRecord:
        return test_record_enter(
            RecordIn(
                product_id=data["product"].pk,
                supplier_id=data["supplier"].pk,
                standard=data["standard"],
                lab=data["lab"],
                report_number=data["report_number"],
                result=data["result"],
                issued_on=data["issued_on"],
                valid_until=data["valid_until"],
                report_file=data.get("report_file") or None,
                measurements=data.get("measured") or [],
            ),
            actor=admin_actor(request),
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="compliance_testrecord_report",
            ),
            path(
                "fraud-signals/",
                self.admin_site.admin_view(self.fraud_queue_view),
                name="compliance_testrecord_fraud",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        record = get_object_or_404(TestRecord, pk=object_id)
        return private_file(record.report_file)

    def fraud_queue_view(self, request: HttpRequest) -> HttpResponse:
        """The officers' queue: every open record with a signal, each signal with its reason,
        filterable by signal and supplier."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        code = request.GET.get("code", "")
        supplier = request.GET.get("supplier", "")
        records = suspect_records(
            TestRecord.objects.select_related("product", "supplier", "standard", "lab"),
            codes=[code] if code in CODES else None,
        )
        if supplier.isdigit():
            records = records.filter(supplier_id=int(supplier))
        rows = [
            (record, [reason for c, reason in signals_of(record) if c == code or code not in CODES])
            for record in records.order_by("-recorded_at", "-id")[:500]
        ]
        return TemplateResponse(
            request,
            "admin/compliance/fraud_signals.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("Fraud signals"),
                "opts": self.opts,
                "rows": rows,
                "codes": list(code_labels().items()),
                "code": code,
                "supplier": supplier,
            },
        )

    @admin.display(description=_("superseded"))
    def superseded(self, record: TestRecord) -> str:
        return when(record.superseded_at) if record.superseded_at else EMPTY

    @admin.display(description=_("fraud signals"))
    def fraud_flags(self, record: TestRecord) -> str:
        return _flags(record)

    @admin.display(description=_("report"))
    def report_link(self, record: TestRecord) -> str:
        if not record.report_file:
            return EMPTY
        url = reverse("admin:compliance_testrecord_report", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("PDF"))

    @admin.display(description=_("specification changed since"))
    def specification_changes(self, record: TestRecord) -> str:
        changed = [row.parameter for row in measurements_of(record) if row.spec_changed]  # type: ignore[attr-defined]
        return ", ".join(changed) if changed else EMPTY

    @admin.action(description=_("Verify (checked with the lab)"), permissions=["change"])
    def verify(self, request: HttpRequest, queryset: QuerySet[TestRecord]) -> None:
        actor, note = admin_actor(request), _note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda record: test_record_verify(record, actor=actor, note=note),
            ngettext_lazy("%(n)d record verified.", "%(n)d records verified.", "n"),
        )

    @admin.action(description=_("Reject (note required)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[TestRecord]) -> None:
        actor, note = admin_actor(request), _note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda record: test_record_reject(record, actor=actor, note=note),
            ngettext_lazy("%(n)d record rejected.", "%(n)d records rejected.", "n"),
        )


# --- Certificates -----------------------------------------------------------------------------

EFILING_FIELDS = [*Certificate.EFILING_FIELDS]


class CertificateEntryForm(ServiceInputForm):
    class Meta:
        model = Certificate
        fields = [
            "supplier",
            "kind",
            "issuer",
            "number",
            "scope",
            "products",
            "standards",
            "issued_on",
            "valid_until",
            "file",
            *EFILING_FIELDS,
        ]


class CheckActionForm(ActionForm):
    check_method = forms.ChoiceField(
        label=_("Checked by:"),
        required=False,
        choices=[("", "---------"), *Certificate.CheckMethod.choices],
    )
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": _("required to reject")}),
    )


def _efiling(data: dict[str, Any]) -> dict[str, Any]:
    return {
        name: data.get(name) for name in (*EFILING_TEXT, *EFILING_DATES, "test_lab") if name in data
    }


@admin.register(Certificate)
class CertificateAdmin(SupplierNameColumn, ServiceAddAdmin):
    """Certificates: entered here through the service or uploaded by the supplier; verified or
    rejected by the actions, saying how they were checked (a rejection needs a note). Only the
    eFiling data is edited afterwards, through the service."""

    form = CertificateEntryForm
    action_form = CheckActionForm
    list_display = [
        "number",
        "kind",
        "issuer",
        "supplier_name",
        "valid_until",
        "status",
        "check_method",
        "efiling_gaps",
        "file_link",
    ]
    list_filter = ["status", "kind", "check_method", "valid_until"]
    search_fields = ["number", "issuer", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier"]
    raw_id_fields = ["supplier", "products"]
    filter_horizontal = ["standards"]
    show_full_result_count = False
    fixed_fields = [
        "supplier",
        "kind",
        "issuer",
        "number",
        "scope",
        "products",
        "standards",
        "issued_on",
        "valid_until",
        "file_link",
        "file_sha256",
        "status",
        "checked_by",
        "check_method",
        "checked_at",
        "check_note",
        "recorded_by",
        "recorded_at",
    ]
    actions = ["verify", "reject", export_csv]

    def get_fields(self, request: HttpRequest, obj: Certificate | None = None) -> Any:
        return (
            CertificateEntryForm.Meta.fields if obj is None else self.fixed_fields + EFILING_FIELDS
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Certificate | None = None) -> Any:
        return [] if obj is None else self.fixed_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> Certificate:
        return certificate_enter(
            CertificateIn(
                supplier_id=data["supplier"].pk,
                kind=data["kind"],
                issuer=data["issuer"],
                number=data["number"],
                scope=data.get("scope") or "",
                issued_on=data["issued_on"],
                valid_until=data["valid_until"],
                product_ids=[product.pk for product in data["products"]],
                standards=list(data["standards"]),
                file=data.get("file") or None,
                efiling=_efiling(data),
            ),
            actor=admin_actor(request),
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            return
        # Only the eFiling data changes here, through the service (fresh row, not the form's).
        try:
            certificate_update_efiling(
                Certificate.objects.get(pk=obj.pk),
                actor=admin_actor(request),
                values=_efiling(form.cleaned_data),
            )
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:object_id>/file/",
                self.admin_site.admin_view(self.file_view),
                name="compliance_certificate_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return private_file(get_object_or_404(Certificate, pk=object_id).file)

    @admin.display(description=_("document"))
    def file_link(self, certificate: Certificate) -> str:
        if not certificate.file:
            return EMPTY
        url = reverse("admin:compliance_certificate_file", args=[certificate.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("PDF"))

    @admin.display(description=_("eFiling data missing"))
    def efiling_gaps(self, certificate: Certificate) -> str:
        missing = certificate.efiling_missing()
        labels = [
            str(getattr(Certificate._meta.get_field(name), "verbose_name", name))
            for name in missing
        ]
        return ", ".join(labels) if labels else EMPTY

    @admin.action(description=_("Verify (say how it was checked)"), permissions=["change"])
    def verify(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        actor, note = admin_actor(request), _note(request)
        method = request.POST.get("check_method", "")
        apply_each(
            self,
            request,
            queryset,
            lambda certificate: certificate_verify(
                certificate, actor=actor, method=method, note=note
            ),
            ngettext_lazy("%(n)d certificate verified.", "%(n)d certificates verified.", "n"),
        )

    @admin.action(description=_("Reject (how checked and a note required)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Certificate]) -> None:
        actor, note = admin_actor(request), _note(request)
        method = request.POST.get("check_method", "")
        apply_each(
            self,
            request,
            queryset,
            lambda certificate: certificate_reject(
                certificate, actor=actor, method=method, reason=note
            ),
            ngettext_lazy("%(n)d certificate rejected.", "%(n)d certificates rejected.", "n"),
        )
