"""The supplier's evidence pages: lists with status and days left, uploads through the services
(refusals beside their field, nothing written), detail pages, files; another supplier's record,
certificate or file is a 404 on every address; lists cost the same queries whatever the count;
every page reads in Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from compliance.models import Certificate, Measurement, TestRecord
from marketplace.formatting import suppliers_today
from tests.factories.compliance import CertificateFactory
from tests.factories.compliance import TestRecordFactory as RecordFactory
from tests.factories.suppliers import MembershipFactory
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, leaked, rival_member

from .evidence_support import PDF, pdf, world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def w():
    return world()


@pytest.fixture
def member(w):
    return MembershipFactory(supplier=w.supplier, role="owner", user__username="owner1").user


def _record(w, **fields):
    record = RecordFactory(
        product=w.product, supplier=w.supplier, standard=w.standard, lab=w.lab, **fields
    )
    record.report_file.save("report.pdf", ContentFile(PDF))
    return record


def _certificate(w, **fields):
    certificate = CertificateFactory(supplier=w.supplier, **fields)
    certificate.products.add(w.product)
    certificate.standards.add(w.standard)
    certificate.file.save("cpc.pdf", ContentFile(PDF))
    return certificate


def _upload(w, **changes):
    today = timezone.localdate()
    data = {
        "product": w.product.pk,
        "standard": w.standard.pk,
        "lab": w.lab.pk,
        "report_number": "UP-1",
        "result": "pass",
        "issued_on": (today - timedelta(days=3)).isoformat(),
        "valid_until": (today + timedelta(days=20)).isoformat(),
        "report_file": pdf(),
        "measured": "lead_substrate 12 ppm",
    }
    data.update(changes)
    return data


def test_the_records_list_shows_status_days_left_and_superseded(client, w, member):
    old = _record(w, report_number="OLD-1")
    # Days left as the supplier counts them: from today in China, the portal's zone.
    new = _record(w, report_number="NEW-1", valid_until=suppliers_today() + timedelta(days=5))
    TestRecord.objects.filter(pk=old.pk).update(superseded_by=new, superseded_at=timezone.now())
    client.force_login(member)
    page = client.get(reverse("portal:compliance_records"))
    text = page.content.decode()
    assert "OLD-1" in text
    assert "NEW-1" in text
    assert "5 days left" in text
    assert 'data-testid="superseded"' in text


def test_a_supplier_uploads_a_report_it_stays_unverified(client, w, member):
    client.force_login(member)
    response = client.post(reverse("portal:compliance_record_upload"), _upload(w))
    record = TestRecord.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:compliance_record_detail", args=[record.pk])
    assert (record.status, record.source, record.supplier) == ("unverified", "supplier", w.supplier)
    assert Measurement.objects.get().parameter == "lead_substrate"
    detail = client.get(response.url)
    assert "Unverified" in detail.content.decode()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"report_file": pdf("r.pdf", b"\x89PNG\r\n\x1a\n")}, "report_file"),
        ({"valid_until": "2020-01-01"}, "valid_until"),
        ({"measured": "lead_substrate lots"}, "measured"),
    ],
)
def test_a_refused_upload_shows_the_field_and_writes_nothing(client, w, member, changes, field):
    client.force_login(member)
    response = client.post(reverse("portal:compliance_record_upload"), _upload(w, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not TestRecord.objects.exists()


def test_a_reused_report_number_is_refused_beside_its_field(client, w, member):
    RecordFactory(lab=w.lab, report_number="UP-1")
    client.force_login(member)
    response = client.post(reverse("portal:compliance_record_upload"), _upload(w))
    assert "report_number" in response.context["form"].errors
    assert TestRecord.objects.count() == 1


def test_another_suppliers_product_is_not_offered(client, w, member):
    stranger = RecordFactory()
    client.force_login(member)
    response = client.post(
        reverse("portal:compliance_record_upload"), _upload(w, product=stranger.product_id)
    )
    assert "product" in response.context["form"].errors
    assert TestRecord.objects.count() == 1


def test_the_record_page_shows_measurements_and_serves_the_report(client, w, member):
    record = _record(w)
    Measurement.objects.create(
        record=record,
        parameter="lead_substrate",
        unit="ppm",
        value=95,
        maximum=100,
        verdict="warning",
    )
    client.force_login(member)
    page = client.get(reverse("portal:compliance_record_detail", args=[record.pk]))
    assert "lead_substrate" in page.content.decode()
    download = client.get(reverse("portal:compliance_record_report", args=[record.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_a_supplier_uploads_a_certificate_and_completes_its_efiling_data(client, w, member):
    client.force_login(member)
    today = timezone.localdate()
    response = client.post(
        reverse("portal:compliance_certificate_upload"),
        {
            "kind": "cpc",
            "issuer": "Bright Toys",
            "number": "CPC-7",
            "products": [w.product.pk],
            "standards": [w.standard.pk],
            "issued_on": (today - timedelta(days=1)).isoformat(),
            "valid_until": (today + timedelta(days=100)).isoformat(),
            "file": pdf("cpc.pdf"),
            "certifier": "Bright Toys, Shantou",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    certificate = Certificate.objects.get()
    assert certificate.status == "unverified"
    assert certificate.certifier == "Bright Toys, Shantou"
    page = client.get(response.url)
    assert 'data-testid="efiling-missing"' in page.content.decode()
    client.post(
        response.url,
        {"certifier": "Bright Toys, Shantou", "records_keeper": "Li Wei", "test_lab": w.lab.pk},
    )
    certificate.refresh_from_db()
    assert (certificate.records_keeper, certificate.test_lab) == ("Li Wei", w.lab)


def test_a_certificate_that_is_not_a_pdf_is_refused(client, w, member):
    client.force_login(member)
    today = timezone.localdate()
    response = client.post(
        reverse("portal:compliance_certificate_upload"),
        {
            "kind": "ce",
            "issuer": "X",
            "number": "CE-1",
            "products": [w.product.pk],
            "standards": [w.standard.pk],
            "issued_on": today.isoformat(),
            "valid_until": today.isoformat(),
            "file": pdf("ce.pdf", b"GIF89a"),
        },
    )
    assert "file" in response.context["form"].errors
    assert not Certificate.objects.exists()


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_supplier_sees_none_of_it(client, w, role):
    record = _record(w, report_number="SECRET-RPT")
    certificate = _certificate(w, number="SECRET-CERT")
    rival = rival_member(role)
    client.force_login(rival)
    secrets = ["SECRET-RPT", "SECRET-CERT"]
    for name in (
        "compliance_records",
        "compliance_certificates",
        "compliance_record_upload",
        "compliance_certificate_upload",
    ):
        page = client.get(reverse(f"portal:{name}"))
        assert page.status_code == 200
        assert leaked(page, secrets) == []

    def state():
        certificate.refresh_from_db()
        return (
            list(TestRecord.objects.values_list("id", "status")),
            certificate.records_keeper,
            certificate.certifier,
        )

    assert_ids_are_404(
        client,
        [
            ("get", reverse("portal:compliance_record_detail", args=[record.pk]), {}),
            ("get", reverse("portal:compliance_record_report", args=[record.pk]), {}),
            ("get", reverse("portal:compliance_certificate_detail", args=[certificate.pk]), {}),
            (
                "post",
                reverse("portal:compliance_certificate_detail", args=[certificate.pk]),
                {"records_keeper": "Rival"},
            ),
            ("get", reverse("portal:compliance_certificate_file", args=[certificate.pk]), {}),
        ],
        state=state,
        secrets=secrets,
    )


def test_staff_are_not_let_in(client, w, compliance_officer):
    client.force_login(compliance_officer)
    assert client.get(reverse("portal:compliance_records")).status_code == 403


def test_the_lists_cost_the_same_queries_whatever_the_count(
    client, w, member, django_assert_max_num_queries
):
    for n in range(12):
        _record(w, report_number=f"R-{n}")
        _certificate(w, number=f"C-{n}")
    client.force_login(member)
    for name in ("compliance_records", "compliance_certificates"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(f"portal:{name}")).status_code == 200


def test_the_pages_read_in_chinese(client, w, member):
    record = _record(w)
    certificate = _certificate(w)
    client.force_login(member)
    urls = [
        reverse("portal:compliance_records"),
        reverse("portal:compliance_record_upload"),
        reverse("portal:compliance_record_detail", args=[record.pk]),
        reverse("portal:compliance_certificates"),
        reverse("portal:compliance_certificate_upload"),
        reverse("portal:compliance_certificate_detail", args=[certificate.pk]),
    ]
    english = [
        "Test records",
        "Upload a test report",
        "Measured values",
        "Certificates",
        "Upload a certificate",
        "US eFiling data",
        "days left",
        "Valid until",
    ]
    for url in urls:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        text = page.content.decode()
        assert [phrase for phrase in english if phrase in text] == [], url
