"""The supplier's test records and certificates: lists with their status and days left, detail
pages, uploads (a record with its PDF and measured values, a certificate with its PDF and
eFiling data) and the files. Every record, certificate and file is fetched within the member's
supplier (compliance.selectors.evidence), so another supplier's id is a 404; every change goes
through a service in compliance.services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from compliance.models import Certificate, TestRecord
from compliance.selectors.evidence import (
    certificates_visible_to,
    measurements_of,
    test_records_visible_to,
)
from compliance.services.certificates import (
    CertificateIn,
    certificate_update_efiling,
    certificate_upload,
)
from compliance.services.records import RecordIn, test_record_upload
from marketplace.errors import DomainError
from marketplace.files import private_file

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error
from .evidence_forms import CertificateUploadForm, EfilingForm, RecordUploadForm

PAGE_SIZE = 25


@dataclass(frozen=True)
class Left:
    """Days until a validity ends (negative: since it ended), and their count for wording."""

    days: int

    @property
    def ago(self) -> int:
        return -self.days


def _days_left(valid_until: date, today: date) -> Left:
    return Left((valid_until - today).days)


def _records(request: SupplierRequest) -> QuerySet[TestRecord]:
    return test_records_visible_to(request.user)


def _certificates(request: SupplierRequest) -> QuerySet[Certificate]:
    return certificates_visible_to(request.user)


# --- Test records -----------------------------------------------------------------------------


@supplier_required
@require_GET
def records(request: SupplierRequest) -> HttpResponse:
    found = _records(request).order_by("-recorded_at", "-id")
    status = request.GET.get("status", "")
    if status in TestRecord.Status.values:
        found = found.filter(status=status)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(record, _days_left(record.valid_until, today)) for record in page.object_list]
    return render(
        request,
        "portal/compliance/records.html",
        {
            "page_obj": page,
            "rows": rows,
            "status": status,
            "statuses": TestRecord.Status.choices,
            "compliance_tab": "records",
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def record_upload(request: SupplierRequest) -> HttpResponse:
    supplier_id = request.membership.supplier_id
    form = RecordUploadForm(request.POST or None, request.FILES or None, supplier_id=supplier_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = test_record_upload(
                RecordIn(
                    product_id=data["product"].pk,
                    supplier_id=supplier_id,
                    standard=data["standard"],
                    lab=data["lab"],
                    report_number=data["report_number"],
                    result=data["result"],
                    issued_on=data["issued_on"],
                    valid_until=data["valid_until"],
                    report_file=data["report_file"],
                    measurements=data["measured"],
                ),
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request,
                _(
                    "Report uploaded. It counts once a compliance officer verifies it or the "
                    "lab confirms it."
                ),
            )
            return redirect("portal:compliance_record_detail", pk=record.pk)
    return render(
        request,
        "portal/compliance/record_upload.html",
        {"form": form, "errors": error_summary(form), "compliance_tab": "records"},
    )


@supplier_required
@require_GET
def record_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(_records(request).select_related("superseded_by"), pk=pk)
    return render(
        request,
        "portal/compliance/record_detail.html",
        {
            "record": record,
            "measurements": measurements_of(record),
            "left": _days_left(record.valid_until, timezone.localdate()),
            "compliance_tab": "records",
        },
    )


@supplier_required
@require_GET
def record_report(request: SupplierRequest, pk: int) -> FileResponse:
    return private_file(get_object_or_404(_records(request), pk=pk).report_file)


# --- Certificates -----------------------------------------------------------------------------


@supplier_required
@require_GET
def certificates(request: SupplierRequest) -> HttpResponse:
    found = _certificates(request).prefetch_related("standards").order_by("-recorded_at", "-id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        (certificate, _days_left(certificate.valid_until, today))
        for certificate in page.object_list
    ]
    return render(
        request,
        "portal/compliance/certificates.html",
        {"page_obj": page, "rows": rows, "compliance_tab": "certificates"},
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def certificate_upload_page(request: SupplierRequest) -> HttpResponse:
    supplier_id = request.membership.supplier_id
    form = CertificateUploadForm(
        request.POST or None, request.FILES or None, supplier_id=supplier_id
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            certificate = certificate_upload(
                CertificateIn(
                    supplier_id=supplier_id,
                    kind=data["kind"],
                    issuer=data["issuer"],
                    number=data["number"],
                    scope=data["scope"],
                    issued_on=data["issued_on"],
                    valid_until=data["valid_until"],
                    product_ids=[product.pk for product in data["products"]],
                    standards=list(data["standards"]),
                    file=data["file"],
                    efiling=form.efiling(),
                ),
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request, _("Certificate uploaded. A compliance officer will check it.")
            )
            return redirect("portal:compliance_certificate_detail", pk=certificate.pk)
    return render(
        request,
        "portal/compliance/certificate_upload.html",
        {"form": form, "errors": error_summary(form), "compliance_tab": "certificates"},
    )


def _certificate_page(
    request: SupplierRequest, certificate: Certificate, form: EfilingForm | None = None
) -> HttpResponse:
    form = form or EfilingForm.of(certificate)
    return render(
        request,
        "portal/compliance/certificate_detail.html",
        {
            "certificate": certificate,
            "products": list(certificate.products.order_by("title_en")),
            "standards": list(certificate.standards.all()),
            "missing": [
                str(getattr(Certificate._meta.get_field(name), "verbose_name", name))
                for name in certificate.efiling_missing()
            ],
            "left": _days_left(certificate.valid_until, timezone.localdate()),
            "form": form,
            "errors": error_summary(form),
            "compliance_tab": "certificates",
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def certificate_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(_certificates(request), pk=pk)
    if request.method != "POST":
        return _certificate_page(request, certificate)
    form = EfilingForm(request.POST)
    if form.is_valid():
        try:
            certificate_update_efiling(certificate, actor=request.user, values=form.cleaned_data)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("eFiling data saved."))
            return redirect("portal:compliance_certificate_detail", pk=certificate.pk)
    return _certificate_page(request, certificate, form)


@supplier_required
@require_GET
def certificate_file(request: SupplierRequest, pk: int) -> FileResponse:
    return private_file(get_object_or_404(_certificates(request), pk=pk).file)


urlpatterns = [
    path("compliance/records/", records, name="compliance_records"),
    path("compliance/records/upload/", record_upload, name="compliance_record_upload"),
    path("compliance/records/<int:pk>/", record_detail, name="compliance_record_detail"),
    path("compliance/records/<int:pk>/report/", record_report, name="compliance_record_report"),
    path("compliance/certificates/", certificates, name="compliance_certificates"),
    path(
        "compliance/certificates/upload/",
        certificate_upload_page,
        name="compliance_certificate_upload",
    ),
    path(
        "compliance/certificates/<int:pk>/",
        certificate_detail,
        name="compliance_certificate_detail",
    ),
    path(
        "compliance/certificates/<int:pk>/file/",
        certificate_file,
        name="compliance_certificate_file",
    ),
]
