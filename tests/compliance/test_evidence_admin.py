"""The officers' evidence screens: entering a record through the service, the second officer,
rejection with a note, certificates checked with how and why, eFiling edits, the report file,
the fraud queue, and lists whose queries do not grow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from compliance.models import Certificate, Measurement, TestRecord
from tests.factories.accounts import staff_user
from tests.factories.compliance import CertificateFactory
from tests.factories.compliance import TestRecordFactory as RecordFactory

from .evidence_support import PDF, pdf, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def w():
    return world()


def _entry(w, **changes):
    today = timezone.localdate()
    data = {
        "product": w.product.pk,
        "supplier": w.supplier.pk,
        "standard": w.standard.pk,
        "lab": w.lab.pk,
        "report_number": "MAIL-1",
        "result": "pass",
        "issued_on": (today - timedelta(days=2)).isoformat(),
        "valid_until": (today + timedelta(days=300)).isoformat(),
        "report_file": pdf(),
        "measured": "lead_substrate 12.5 ppm",
    }
    data.update(changes)
    return data


ADD = "/admin/compliance/testrecord/add/"
RECORDS = "/admin/compliance/testrecord/"


def test_an_officer_enters_a_record_and_a_second_officer_verifies_it(client, w, compliance_officer):
    client.force_login(compliance_officer)
    response = client.post(ADD, _entry(w))
    assert response.status_code == 302, response.content.decode()[:3000]
    record = TestRecord.objects.get()
    assert (record.status, record.source, record.recorded_by) == (
        "unverified",
        "officer",
        compliance_officer,
    )
    assert Measurement.objects.get().value == 12.5
    # The recorder's own verification is refused, per row.
    client.post(
        RECORDS, {"action": "verify", "_selected_action": [record.pk], "note": ""}, follow=True
    )
    record.refresh_from_db()
    assert record.status == "unverified"
    second = staff_user("compliance", username="co2")
    client.force_login(second)
    client.post(RECORDS, {"action": "verify", "_selected_action": [record.pk], "note": "ok"})
    record.refresh_from_db()
    assert record.status == "verified"
    assert record.verified_by == second


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"report_file": pdf("x.pdf", b"MZ not a pdf")}, "report_file"),
    ],
)
def test_a_refused_entry_shows_the_field_and_writes_nothing(
    client, w, compliance_officer, changes, field
):
    client.force_login(compliance_officer)
    response = client.post(ADD, _entry(w, **changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not TestRecord.objects.exists()


def test_a_reused_report_number_is_refused_on_the_form(client, w, compliance_officer):
    RecordFactory(lab=w.lab, report_number="MAIL-1")
    client.force_login(compliance_officer)
    response = client.post(ADD, _entry(w))
    assert "report_number" in response.context["adminform"].form.errors
    assert TestRecord.objects.count() == 1


def test_a_rejection_needs_a_note(client, w, compliance_officer):
    record = RecordFactory(status="unverified", verified_at=None, source="supplier")
    client.force_login(compliance_officer)
    client.post(RECORDS, {"action": "reject", "_selected_action": [record.pk], "note": ""})
    record.refresh_from_db()
    assert record.status == "unverified"
    client.post(RECORDS, {"action": "reject", "_selected_action": [record.pk], "note": "Forged"})
    record.refresh_from_db()
    assert (record.status, record.status_note) == ("rejected", "Forged")


def test_the_record_page_shows_measurements_flags_and_serves_the_report(
    client, w, compliance_officer
):
    record = RecordFactory(product=w.product, supplier=w.supplier, lab=w.lab, standard=w.standard)
    record.report_file.save("r.pdf", ContentFile(PDF))
    Measurement.objects.create(
        record=record, parameter="lead", unit="ppm", value=120, maximum=100, verdict="outside"
    )
    client.force_login(compliance_officer)
    page = client.get(f"{RECORDS}{record.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Result contradicts the measured values" in text
    assert "lead" in text
    report = client.get(reverse("admin:compliance_testrecord_report", args=[record.pk]))
    assert b"".join(report.streaming_content).startswith(b"%PDF-")


def test_the_fraud_queue_lists_open_signals_with_their_reasons(client, w, compliance_officer):
    flagged = RecordFactory(
        product=w.product, supplier=w.supplier, lab=w.lab, standard=w.standard, result="pass"
    )
    Measurement.objects.create(
        record=flagged, parameter="lead", unit="ppm", value=120, maximum=100, verdict="outside"
    )
    clean = RecordFactory(product=w.product, supplier=w.supplier, lab=w.lab, standard=w.standard)
    client.force_login(compliance_officer)
    url = reverse("admin:compliance_testrecord_fraud")
    page = client.get(url)
    assert [row[0].pk for row in page.context["rows"]] == [flagged.pk]
    assert clean.pk not in [row[0].pk for row in page.context["rows"]]
    assert "Result contradicts" in page.content.decode()
    assert client.get(url, {"code": "report_reused"}).context["rows"] == []
    listed = client.get(RECORDS, {"fraud": "any"})
    assert list(listed.context["cl"].result_list) == [flagged]


def test_operators_may_read_but_not_act(client, w, operator):
    record = RecordFactory(status="unverified", verified_at=None, source="supplier")
    client.force_login(operator)
    assert client.get(RECORDS).status_code == 200
    client.post(RECORDS, {"action": "verify", "_selected_action": [record.pk]})
    record.refresh_from_db()
    assert record.status == "unverified"


def test_certificates_are_verified_with_a_method_and_rejected_with_a_note(
    client, w, compliance_officer
):
    certificate = CertificateFactory(supplier=w.supplier)
    url = "/admin/compliance/certificate/"
    client.force_login(compliance_officer)
    client.post(url, {"action": "verify", "_selected_action": [certificate.pk], "check_method": ""})
    certificate.refresh_from_db()
    assert certificate.status == "unverified"
    client.post(
        url,
        {
            "action": "verify",
            "_selected_action": [certificate.pk],
            "check_method": "issuer_contact",
            "note": "Phoned TÜV",
        },
    )
    certificate.refresh_from_db()
    assert (certificate.status, certificate.check_method, certificate.checked_by) == (
        "verified",
        "issuer_contact",
        compliance_officer,
    )
    client.post(
        url,
        {"action": "reject", "_selected_action": [certificate.pk], "check_method": "document"},
    )
    certificate.refresh_from_db()
    assert certificate.status == "verified"
    client.post(
        url,
        {
            "action": "reject",
            "_selected_action": [certificate.pk],
            "check_method": "document",
            "note": "Withdrawn by the issuer",
        },
    )
    certificate.refresh_from_db()
    assert certificate.status == "rejected"


def test_an_officer_enters_a_certificate_and_edits_its_efiling_data(client, w, compliance_officer):
    client.force_login(compliance_officer)
    today = timezone.localdate()
    response = client.post(
        "/admin/compliance/certificate/add/",
        {
            "supplier": w.supplier.pk,
            "kind": "cpc",
            "issuer": "Bright",
            "number": "CPC-9",
            "products": str(w.product.pk),
            "standards": [w.standard.pk],
            "issued_on": (today - timedelta(days=1)).isoformat(),
            "valid_until": (today + timedelta(days=100)).isoformat(),
            "certifier": "Bright Toys",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    certificate = Certificate.objects.get()
    assert certificate.certifier == "Bright Toys"
    assert list(certificate.products.all()) == [w.product]
    change = f"/admin/compliance/certificate/{certificate.pk}/change/"
    page = client.get(change)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "records_keeper" in form.fields
    assert "number" not in form.fields
    response = client.post(change, {"records_keeper": "Li Wei", "certifier": "Bright Toys"})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.records_keeper == "Li Wei"


def test_the_evidence_lists_keep_a_constant_number_of_queries(
    client, w, compliance_officer, django_assert_max_num_queries
):
    for _n in range(15):
        RecordFactory(product=w.product, supplier=w.supplier, lab=w.lab, standard=w.standard)
        CertificateFactory(supplier=w.supplier)
    client.force_login(compliance_officer)
    for url in (
        RECORDS,
        "/admin/compliance/certificate/",
        "/admin/compliance/lab/",
        reverse("admin:compliance_testrecord_fraud"),
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200
