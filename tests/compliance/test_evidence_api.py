"""The evidence API: labs post test records (multipart), suppliers, labs and staff read them,
suppliers read their certificates; every refusal names its field and writes nothing; nobody
reads another's."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from compliance.models import Certificate, Measurement, TestRecord
from marketplace.models import Event
from tests.api_support import assert_error, bearer, ids
from tests.factories.accounts import api_client, supplier_token
from tests.factories.compliance import CertificateFactory
from tests.factories.compliance import TestRecordFactory as RecordFactory
from tests.factories.suppliers import MembershipFactory

from .evidence_support import PDF, lab_with_client, lead_specs, world

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-records/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def w():
    return world()


def _form(w, **changes):
    today = timezone.localdate()
    body = {
        "product": w.product.pk,
        "supplier": w.supplier.pk,
        "standard": w.standard.code,
        "report_number": "SGS-1",
        "result": "pass",
        "issued_on": (today - timedelta(days=3)).isoformat(),
        "valid_until": (today + timedelta(days=360)).isoformat(),
        "measurements": json.dumps([{"parameter": "lead_substrate", "value": "42.5"}]),
    }
    body.update(changes)
    return body


def _post(caller, body, content: bytes = PDF, name: str = "report.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    if content is not None:
        body = {**body, "report_file": SimpleUploadedFile(name, content, "application/pdf")}
    return caller.post(URL, body, format="multipart")


def _nothing_written():
    assert not TestRecord.objects.exists()
    assert not Measurement.objects.exists()
    assert not Event.objects.filter(kind__startswith="compliance.").exists()


def test_a_lab_posts_a_record_verified_at_once_then_a_repeat_is_200_and_a_conflict_409(w):
    lead_specs(w.standard)
    lab = bearer(w.key)
    created = _post(lab, _form(w))
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "verified"
    assert body["source"] == "lab"
    assert body["measurements"][0]["verdict"] == "within"
    assert body["measurements"][0]["maximum"] == "100.0000"
    again = _post(lab, _form(w))
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    conflict = assert_error(_post(lab, _form(w, result="fail")), 409, "report_conflict")
    assert set(conflict["fields"]) == {"result"}
    assert TestRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "content", "status", "code", "field"),
    [
        ({}, b"GIF89a not a pdf", 422, "not_a_pdf", "report_file"),
        ({"standard": "NOPE 1"}, PDF, 422, "unknown_standard", "standard"),
        ({"valid_until": "2020-01-01"}, PDF, 422, "dates_out_of_order", "valid_until"),
        ({"product": 999999}, PDF, 422, "unknown_product", "product"),
        ({"result": "great"}, PDF, 400, "invalid", "result"),
        ({"issued_on": "yesterday"}, PDF, 400, "invalid", "issued_on"),
        ({"measurements": "[{"}, PDF, 400, "invalid", "measurements"),
        (
            {"measurements": '[{"parameter": "x", "value": "abc"}]'},
            PDF,
            400,
            "invalid",
            "measurements[0].value",
        ),
        ({}, None, 400, "invalid", "report_file"),
    ],
)
def test_bad_posts_are_refused_naming_the_field_and_write_nothing(
    w, changes, content, status, code, field
):
    response = _post(bearer(w.key), _form(w, **changes), content=content)
    body = assert_error(response, status, code)
    assert field in body["fields"], body
    _nothing_written()


def test_a_standard_outside_the_labs_accreditation_is_422_naming_standard(w):
    w.lab.accreditations.all().delete()
    body = assert_error(_post(bearer(w.key), _form(w)), 422, "not_accredited")
    assert "standard" in body["fields"]
    _nothing_written()


def test_only_a_labs_client_posts(w, supplier_user):
    _client, integrator_key = api_client(name="Storefront")
    assert_error(_post(bearer(integrator_key), _form(w)), 403, "not_a_lab")
    response = _post(bearer(supplier_token(supplier_user)), _form(w))
    assert response.status_code == 403
    _nothing_written()


def test_json_is_not_how_a_lab_posts(w):
    response = bearer(w.key).post(URL, _form(w), format="json")
    assert response.status_code == 415
    _nothing_written()


def _member(supplier):
    return MembershipFactory(supplier=supplier, role="owner").user


def test_suppliers_read_their_own_records_and_labs_their_labs(w, compliance_officer, api):
    mine = RecordFactory(product=w.product, supplier=w.supplier, lab=w.lab)
    theirs = RecordFactory()
    owner = bearer(supplier_token(_member(w.supplier)))
    assert ids(owner.get(URL).json()["results"]) == [mine.pk]
    assert owner.get(f"{URL}{theirs.pk}/").status_code == 404
    assert owner.get(f"{URL}{mine.pk}/").status_code == 200
    lab = bearer(w.key)
    assert ids(lab.get(URL).json()["results"]) == [mine.pk]
    assert lab.get(f"{URL}{theirs.pk}/").status_code == 404
    _other_lab, _c, other_key = lab_with_client("Intertek")
    assert bearer(other_key).get(URL).json()["results"] == []
    _client, integrator_key = api_client(name="Storefront")
    assert bearer(integrator_key).get(URL).status_code == 403
    api.force_login(compliance_officer)
    assert sorted(ids(api.get(URL).json()["results"])) == sorted([mine.pk, theirs.pk])


def test_suppliers_read_their_own_certificates(w, compliance_officer, api):
    mine = CertificateFactory(supplier=w.supplier)
    mine.products.add(w.product)
    theirs = CertificateFactory()
    owner = bearer(supplier_token(_member(w.supplier)))
    rows = owner.get("/api/v1/certificates/").json()["results"]
    assert ids(rows) == [mine.pk]
    assert rows[0]["products"] == [w.product.pk]
    assert "certifier" in rows[0]["efiling_missing"]
    assert owner.get(f"/api/v1/certificates/{theirs.pk}/").status_code == 404
    _client, integrator_key = api_client(name="Storefront")
    assert bearer(integrator_key).get("/api/v1/certificates/").status_code == 403
    assert bearer(w.key).get("/api/v1/certificates/").status_code == 403
    api.force_login(compliance_officer)
    assert len(api.get("/api/v1/certificates/").json()["results"]) == 2
    assert Certificate.objects.count() == 2


def test_the_lists_cost_the_same_queries_whatever_the_count(w, django_assert_max_num_queries):
    owner = bearer(supplier_token(_member(w.supplier)))
    for n in range(12):
        record = RecordFactory(product=w.product, supplier=w.supplier, lab=w.lab)
        Measurement.objects.create(
            record=record, parameter=f"p{n}", unit="ppm", value=1, verdict="within"
        )
        certificate = CertificateFactory(supplier=w.supplier)
        certificate.products.add(w.product)
    with django_assert_max_num_queries(8):
        assert len(owner.get(URL).json()["results"]) == 12
    with django_assert_max_num_queries(8):
        assert len(owner.get("/api/v1/certificates/").json()["results"]) == 12


def test_records_filter_by_market_and_an_unknown_market_is_400_naming_it(w):
    mine = RecordFactory(product=w.product, supplier=w.supplier, lab=w.lab, standard=w.standard)
    owner = bearer(supplier_token(_member(w.supplier)))
    assert ids(owner.get(URL, {"market": "EU"}).json()["results"]) == [mine.pk]
    assert owner.get(URL, {"market": "US"}).json()["results"] == []
    body = assert_error(owner.get(URL, {"market": "XX"}), 400, "invalid")
    assert "market" in body["fields"]
