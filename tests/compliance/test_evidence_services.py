"""Test records and certificates through their services: every rule, every refusal naming its
field with nothing written, idempotency, the second-officer rule, supersession."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from compliance.models import Certificate, Measurement, TestRecord, TestSpecification
from compliance.selectors.evidence import measurements_of
from compliance.services.certificates import (
    CertificateIn,
    certificate_enter,
    certificate_reject,
    certificate_update_efiling,
    certificate_upload,
    certificate_verify,
)
from compliance.services.records import test_record_enter as record_enter
from compliance.services.records import test_record_post as record_post
from compliance.services.records import test_record_reject as record_reject
from compliance.services.records import test_record_upload as record_upload
from compliance.services.records import test_record_verify as record_verify
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from tests.factories.accounts import staff_user
from tests.factories.catalogue import ListingFactory
from tests.factories.compliance import LabFactory
from tests.factories.suppliers import MembershipFactory

from .evidence_support import lab_with_client, lead, lead_specs, pdf, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def w():
    return world()


def _refused(call, code: str, field: str | None = None) -> DomainError:
    before = (TestRecord.objects.count(), Measurement.objects.count(), Event.objects.count())
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value.code
    if field is not None:
        assert field in caught.value.fields, caught.value.fields
    after = (TestRecord.objects.count(), Measurement.objects.count(), Event.objects.count())
    assert after == before
    return caught.value


# --- Lab posts ---------------------------------------------------------------------------------


def test_a_lab_post_is_verified_at_once_with_its_file_hash_and_an_event(w):
    record, created = record_post(w.record(), actor=w.lab_user)
    assert created
    assert record.status == TestRecord.Status.VERIFIED
    assert record.verified_at is not None
    assert record.source == TestRecord.Source.LAB
    assert record.recorded_via == w.client
    assert len(record.report_sha256) == 64
    assert record.report_file.read().startswith(b"%PDF-")
    kinds = list(Event.objects.values_list("kind", flat=True))
    assert kinds == ["compliance.test_record_posted"]


def test_an_identical_repeat_returns_the_record_and_a_conflicting_one_is_refused(w):
    first, _ = record_post(w.record(), actor=w.lab_user)
    again, created = record_post(w.record(), actor=w.lab_user)
    assert again.pk == first.pk
    assert not created
    error = _refused(
        lambda: record_post(w.record(result="fail"), actor=w.lab_user), "report_conflict"
    )
    assert error.kind == ErrorKind.CONFLICT
    assert set(error.fields) == {"result"}
    other = _refused(
        lambda: record_post(w.record(report_file=pdf(content=b"%PDF-1.7 other")), actor=w.lab_user),
        "report_conflict",
    )
    assert set(other.fields) == {"report_file"}


def test_only_a_labs_own_client_posts(w, compliance_officer):
    _refused(lambda: record_post(w.record(), actor=compliance_officer), "not_a_lab")
    other_lab, _client, _key = lab_with_client("Intertek", standard=w.standard)
    _refused(lambda: record_post(w.record(lab=other_lab), actor=w.lab_user), "not_your_lab")


def test_a_suspended_lab_may_not_post(w):
    w.lab.status = "suspended"
    w.lab.save()
    _refused(lambda: record_post(w.record(), actor=w.lab_user), "lab_not_active")


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"report_number": "  "}, "invalid_record", "report_number"),
        ({"result": "maybe"}, "invalid_record", "result"),
        ({"valid_until": date(2020, 1, 1)}, "dates_out_of_order", "valid_until"),
        (
            {"issued_on": date(2099, 1, 1), "valid_until": date(2099, 2, 1)},
            "dates_out_of_order",
            "issued_on",
        ),
        ({"product_id": 999_999}, "unknown_product", "product"),
        ({"report_file": None}, "invalid_record", "report_file"),
    ],
)
def test_bad_input_is_refused_naming_the_field(w, changes, code, field):
    error = _refused(lambda: record_post(w.record(**changes), actor=w.lab_user), code, field)
    assert error.kind == ErrorKind.INVALID


def test_a_file_that_is_not_a_pdf_is_refused_by_its_content(w):
    fake = pdf("report.pdf", b"\x89PNG\r\n\x1a\n not a pdf")
    _refused(
        lambda: record_post(w.record(report_file=fake), actor=w.lab_user),
        "not_a_pdf",
        "report_file",
    )


def test_a_file_over_the_limit_is_refused(w, settings):
    settings.COMPLIANCE_PDF_MAX_BYTES = 20
    _refused(lambda: record_post(w.record(), actor=w.lab_user), "file_too_large", "report_file")


def test_another_suppliers_product_is_unknown(w):
    stranger = ListingFactory()
    _refused(
        lambda: record_post(w.record(product_id=stranger.product_id), actor=w.lab_user),
        "unknown_product",
        "product",
    )


def test_a_standard_outside_the_labs_accreditation_on_the_issue_date_is_refused(w):
    accreditation = w.lab.accreditations.get()
    accreditation.valid_until = timezone.localdate() - timedelta(days=20)
    accreditation.save()
    error = _refused(
        lambda: record_post(w.record(), actor=w.lab_user), "not_accredited", "standard"
    )
    assert "TEST 71-3" in error.message
    # In force on the issue date: accepted.
    issued = timezone.localdate() - timedelta(days=25)
    record, _ = record_post(w.record(issued_on=issued), actor=w.lab_user)
    assert record.pk


# --- Measurements ------------------------------------------------------------------------------


def test_measured_values_are_judged_against_the_specification_in_force_on_the_issue_date(w):
    lead_specs(w.standard)
    record, _ = record_post(w.record(measurements=(lead("40"),)), actor=w.lab_user)
    row = record.measurements.get()
    assert (row.maximum, row.warn_within, row.unit, row.verdict) == (
        Decimal("100"),
        Decimal("10"),
        "ppm",
        Measurement.Verdict.WITHIN,
    )
    warn, _ = record_post(
        w.record(report_number="R-2", measurements=(lead("95"),)), actor=w.lab_user
    )
    assert warn.measurements.get().verdict == Measurement.Verdict.WARNING
    out, _ = record_post(
        w.record(report_number="R-3", result="fail", measurements=(lead("120"),)),
        actor=w.lab_user,
    )
    assert out.measurements.get().verdict == Measurement.Verdict.OUTSIDE


def test_a_later_specification_change_never_rewrites_an_old_result_and_is_flagged(w):
    lead_specs(w.standard)
    record, _ = record_post(w.record(measurements=(lead("95"),)), actor=w.lab_user)
    [before] = measurements_of(record)
    assert not before.spec_changed
    spec = TestSpecification.objects.get(standard=w.standard)
    spec.effective_to = timezone.localdate() - timedelta(days=1)
    spec.save()
    TestSpecification.objects.create(
        standard=w.standard,
        parameter="lead_substrate",
        label="Lead",
        unit="ppm",
        maximum=Decimal("90"),
        effective_from=timezone.localdate(),
    )
    [after] = measurements_of(record)
    assert after.spec_changed
    assert (after.maximum, after.verdict) == (Decimal("100"), Measurement.Verdict.WARNING)


def test_a_measured_value_in_the_wrong_unit_or_twice_is_refused(w):
    lead_specs(w.standard)
    _refused(
        lambda: record_post(w.record(measurements=(lead("4", "%"),)), actor=w.lab_user),
        "invalid_measurement",
        "measurements[0].unit",
    )
    _refused(
        lambda: record_post(w.record(measurements=(lead("4"), lead("5"))), actor=w.lab_user),
        "invalid_measurement",
        "measurements[1].parameter",
    )


# --- Officer entry and the second officer ------------------------------------------------------


def test_an_officers_entry_needs_a_second_different_officer(w, compliance_officer):
    record = record_enter(w.record(), actor=compliance_officer)
    assert record.status == TestRecord.Status.UNVERIFIED
    assert record.recorded_by == compliance_officer
    error = _refused(
        lambda: record_verify(record, actor=compliance_officer, note=""), "second_officer_required"
    )
    assert error.kind == ErrorKind.FORBIDDEN
    second = staff_user("compliance", username="co2")
    record_verify(record, actor=second, note="Called the lab")
    record.refresh_from_db()
    assert record.status == TestRecord.Status.VERIFIED
    assert record.verified_by == second
    assert record.status_note == "Called the lab"
    verified = Event.objects.get(kind="compliance.test_record_verified")
    assert verified.payload["from"] == "unverified"
    assert verified.actor == second


def test_an_operator_or_supplier_may_not_verify(w, operator, supplier_user, compliance_officer):
    record = record_enter(w.record(), actor=compliance_officer)
    _refused(lambda: record_verify(record, actor=operator, note=""), "forbidden")
    _refused(lambda: record_verify(record, actor=supplier_user, note=""), "forbidden")
    _refused(lambda: record_enter(w.record(report_number="X"), actor=operator), "forbidden")


def test_a_lab_outside_its_accreditation_is_accepted_from_an_officer_as_evidence(
    w, compliance_officer
):
    w.lab.accreditations.all().delete()
    record = record_enter(w.record(), actor=compliance_officer)
    assert record.status == TestRecord.Status.UNVERIFIED


def test_a_rejection_needs_a_reason_and_records_who_and_when(w, compliance_officer):
    record = record_enter(w.record(), actor=compliance_officer)
    second = staff_user("compliance", username="co2")
    _refused(lambda: record_reject(record, actor=second, note=" "), "reason_required", "note")
    record_reject(record, actor=second, note="Lab has no such report")
    record.refresh_from_db()
    assert record.status == TestRecord.Status.REJECTED
    assert record.verified_by == second
    assert record.verified_at is not None
    _refused(lambda: record_verify(record, actor=second, note=""), "invalid_transition")


def test_a_reused_report_number_of_the_same_lab_is_refused_to_officers(w, compliance_officer):
    record_post(w.record(), actor=w.lab_user)
    _refused(
        lambda: record_enter(w.record(), actor=compliance_officer),
        "report_number_taken",
        "report_number",
    )


# --- Supplier upload and the lab's confirmation -------------------------------------------------


def _member(supplier):
    return MembershipFactory(supplier=supplier, role="owner").user


def test_a_suppliers_upload_is_unverified_until_the_lab_posts_the_same_report(w):
    member = _member(w.supplier)
    upload = record_upload(w.record(), actor=member)
    assert (upload.status, upload.source) == ("unverified", "supplier")
    confirmed, created = record_post(
        w.record(report_file=pdf(content=b"%PDF-1.7 the lab's copy")), actor=w.lab_user
    )
    assert confirmed.pk == upload.pk
    assert not created
    assert confirmed.status == TestRecord.Status.VERIFIED


def test_a_lab_post_contradicting_a_suppliers_upload_is_a_conflict_until_rejected(
    w, compliance_officer
):
    member = _member(w.supplier)
    upload = record_upload(w.record(result="pass"), actor=member)
    _refused(lambda: record_post(w.record(result="fail"), actor=w.lab_user), "report_conflict")
    record_reject(upload, actor=compliance_officer, note="The lab reports a failure")
    record, created = record_post(w.record(result="fail"), actor=w.lab_user)
    assert created
    assert record.pk != upload.pk


def test_an_officer_verifies_a_suppliers_upload(w, compliance_officer):
    upload = record_upload(w.record(), actor=_member(w.supplier))
    record_verify(upload, actor=compliance_officer, note="")
    upload.refresh_from_db()
    assert upload.status == TestRecord.Status.VERIFIED


def test_a_supplier_uploads_only_its_own(w, other_supplier_user):
    _refused(lambda: record_upload(w.record(), actor=other_supplier_user), "forbidden")


# --- Supersession ------------------------------------------------------------------------------


def test_a_retest_supersedes_the_previous_counting_record_without_erasing_it(w):
    today = timezone.localdate()
    first, _ = record_post(
        w.record(report_number="R-1", issued_on=today - timedelta(days=100)), actor=w.lab_user
    )
    second, _ = record_post(w.record(report_number="R-2"), actor=w.lab_user)
    first.refresh_from_db()
    assert first.superseded_by == second
    assert first.superseded_at is not None
    assert first.status == TestRecord.Status.VERIFIED
    assert TestRecord.objects.count() == 2
    assert Event.objects.filter(kind="compliance.test_record_superseded").count() == 1
    # Another standard or another supplier's record is untouched.
    assert second.superseded_by is None


def test_a_late_verified_older_report_is_superseded_by_the_newer_one_at_once(w, compliance_officer):
    today = timezone.localdate()
    newer, _ = record_post(w.record(report_number="R-new"), actor=w.lab_user)
    older = record_upload(
        w.record(report_number="R-old", issued_on=today - timedelta(days=200)),
        actor=_member(w.supplier),
    )
    record_verify(older, actor=compliance_officer, note="")
    older.refresh_from_db()
    newer.refresh_from_db()
    assert older.superseded_by == newer
    assert newer.superseded_by is None


def test_an_unverified_record_supersedes_nothing(w, compliance_officer):
    first, _ = record_post(w.record(report_number="R-1"), actor=w.lab_user)
    record_enter(w.record(report_number="R-2"), actor=compliance_officer)
    first.refresh_from_db()
    assert first.superseded_by is None


# --- Certificates ------------------------------------------------------------------------------


def _certificate(w, **changes):
    base = CertificateIn(
        supplier_id=w.supplier.pk,
        kind="cpc",
        issuer="Bright Toys Co.",
        number="CPC-1",
        issued_on=timezone.localdate() - timedelta(days=5),
        valid_until=timezone.localdate() + timedelta(days=360),
        product_ids=[w.product.pk],
        standards=[w.standard],
        file=pdf("cpc.pdf"),
        efiling={"certifier": "Bright Toys, Shantou", "test_lab": w.lab},
    )
    return replace(base, **changes)


def test_a_supplier_uploads_a_certificate_an_officer_verifies_with_method_and_note(
    w, compliance_officer
):
    member = _member(w.supplier)
    certificate = certificate_upload(_certificate(w), actor=member)
    assert certificate.status == Certificate.Status.UNVERIFIED
    assert len(certificate.file_sha256) == 64
    assert certificate.test_lab == w.lab
    assert "certifier" not in certificate.efiling_missing()
    _refused(
        lambda: certificate_verify(certificate, actor=compliance_officer, method=""),
        "method_required",
        "check_method",
    )
    certificate_verify(
        certificate, actor=compliance_officer, method="issuer_registry", note="Register entry 44"
    )
    certificate.refresh_from_db()
    assert certificate.status == "verified"
    assert (certificate.checked_by, certificate.check_method, certificate.check_note) == (
        compliance_officer,
        "issuer_registry",
        "Register entry 44",
    )
    assert certificate.checked_at is not None


def test_a_certificate_rejection_requires_a_reason(w, compliance_officer):
    certificate = certificate_enter(_certificate(w, file=None), actor=compliance_officer)
    with pytest.raises(DomainError) as caught:
        certificate_reject(certificate, actor=compliance_officer, method="document", reason="")
    assert caught.value.code == "reason_required"
    certificate_reject(
        certificate, actor=compliance_officer, method="document", reason="Forged stamp"
    )
    certificate.refresh_from_db()
    assert certificate.status == "rejected"
    assert certificate.check_note == "Forged stamp"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"valid_until": date(2020, 1, 1)}, "dates_out_of_order", "valid_until"),
        ({"product_ids": [999_999]}, "unknown_product", "products"),
        ({"file": pdf("x.pdf", b"GIF89a")}, "not_a_pdf", "file"),
        ({"file": None}, "invalid_certificate", "file"),
        ({"number": ""}, "invalid_certificate", "number"),
    ],
)
def test_bad_certificates_are_refused_naming_the_field(w, changes, code, field):
    member = _member(w.supplier)
    with pytest.raises(DomainError) as caught:
        certificate_upload(_certificate(w, **changes), actor=member)
    assert caught.value.code == code
    assert field in caught.value.fields
    assert not Certificate.objects.exists()


def test_a_certificate_number_is_recorded_once(w, compliance_officer):
    member = _member(w.supplier)
    certificate_upload(_certificate(w), actor=member)
    with pytest.raises(DomainError) as caught:
        certificate_upload(_certificate(w), actor=member)
    assert caught.value.code == "certificate_number_taken"
    assert Certificate.objects.count() == 1


def test_efiling_fields_are_editable_by_their_supplier_and_officers_only(
    w, compliance_officer, other_supplier_user
):
    member = _member(w.supplier)
    certificate = certificate_upload(_certificate(w), actor=member)
    certificate_update_efiling(
        certificate, actor=member, values={"records_keeper": "Li Wei, Shantou"}
    )
    certificate_update_efiling(
        certificate, actor=compliance_officer, values={"manufactured_at": "Shantou"}
    )
    certificate.refresh_from_db()
    assert (certificate.records_keeper, certificate.manufactured_at) == (
        "Li Wei, Shantou",
        "Shantou",
    )
    event = (
        Event.objects.filter(kind="compliance.certificate_efiling_updated").order_by("id").first()
    )
    assert event.payload["fields"] == ["records_keeper"]
    with pytest.raises(DomainError) as caught:
        certificate_update_efiling(
            certificate, actor=other_supplier_user, values={"certifier": "x"}
        )
    assert caught.value.kind == ErrorKind.NOT_FOUND


def test_unknown_lab_for_efiling_is_refused(w):
    member = _member(w.supplier)
    certificate = certificate_upload(_certificate(w), actor=member)
    with pytest.raises(DomainError) as caught:
        certificate_update_efiling(certificate, actor=member, values={"test_lab": 5})
    assert caught.value.fields.keys() == {"test_lab"}
    assert LabFactory  # the factory module is importable for the other tests


def test_a_labs_rejected_report_posted_again_is_refused(w, compliance_officer):
    record, _ = record_post(w.record(), actor=w.lab_user)
    TestRecord.objects.filter(pk=record.pk).update(status="unverified")
    record_reject(record, actor=compliance_officer, note="Not genuine")
    _refused(lambda: record_post(w.record(), actor=w.lab_user), "report_rejected", "report_number")
