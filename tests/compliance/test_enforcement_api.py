"""The enforcement API: suppliers read and appeal their own cases (another's is absent from the
list and 404), staff read all, integrators are refused; the appeal takes JSON or multipart with
an evidence file; the list's queries do not grow with its rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from compliance.models import EnforcementCase
from tests.api_support import assert_error, bearer, ids, walk
from tests.factories.accounts import api_client, supplier_token
from tests.factories.suppliers import MembershipFactory

from .enforcement_helpers import failing_listing, open_case

pytestmark = pytest.mark.django_db

CASES = "/api/v1/enforcement-cases/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _as_supplier(case: EnforcementCase) -> APIClient:
    return bearer(supplier_token(MembershipFactory(supplier=case.supplier).user))


def test_a_supplier_reads_its_own_cases_only():
    mine = open_case(failing_listing())
    second = open_case(failing_listing(mine.supplier))
    theirs = open_case(failing_listing())
    caller = _as_supplier(mine)

    rows = walk(caller, CASES)
    assert ids(rows) == [second.pk, mine.pk]
    row = next(r for r in rows if r["id"] == second.pk)
    assert row["step"] == 2
    assert row["fine"] == "2000.00"
    assert row["markets_held"] == ["EU"]
    assert row["may_appeal"] is True
    assert row["standard"] == "EN 71-3"
    assert caller.get(f"{CASES}{mine.pk}/").json()["id"] == mine.pk
    assert_error(caller.get(f"{CASES}{theirs.pk}/"), 404, "not_found")
    assert_error(
        caller.post(f"{CASES}{theirs.pk}/appeal/", {"text": "x"}, format="json"), 404, "not_found"
    )


def test_staff_read_all_and_integrators_are_refused(api, compliance_officer):
    one, two = open_case(failing_listing()), open_case(failing_listing())
    api.force_authenticate(compliance_officer)
    assert set(ids(walk(api, CASES))) == {one.pk, two.pk}
    _client, key = api_client(["read"])
    assert bearer(key).get(CASES).status_code == 403


def test_the_supplier_appeals_with_json():
    case = open_case(failing_listing())
    caller = _as_supplier(case)
    assert_error(
        caller.post(f"{CASES}{case.pk}/appeal/", {"text": " "}, format="json"),
        422,
        "appeal_text_required",
    )
    response = caller.post(f"{CASES}{case.pk}/appeal/", {"text": "Wrong product"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["appeal_text"], body["has_evidence"]) == (
        "appealed",
        "Wrong product",
        False,
    )


def test_the_supplier_appeals_with_an_evidence_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = open_case(failing_listing())
    caller = _as_supplier(case)
    bad = caller.post(
        f"{CASES}{case.pk}/appeal/",
        {"text": "x", "file": SimpleUploadedFile("a.pdf", b"not a pdf")},
        format="multipart",
    )
    body = assert_error(bad, 422, "invalid_evidence")
    assert "file" in body["fields"]
    good = caller.post(
        f"{CASES}{case.pk}/appeal/",
        {"text": "Retest", "file": SimpleUploadedFile("a.pdf", b"%PDF-1.7 ok")},
        format="multipart",
    )
    assert good.status_code == 201, good.content
    assert good.json()["has_evidence"] is True


def test_an_appeal_after_seven_days_is_409_naming_the_window():
    case = open_case(failing_listing())
    caller = _as_supplier(case)
    with time_machine.travel(case.opened_at + timedelta(days=7, minutes=1)):
        body = assert_error(
            caller.post(f"{CASES}{case.pk}/appeal/", {"text": "late"}, format="json"),
            409,
            "appeal_window_closed",
        )
    assert "7 days" in body["message"]


def test_the_list_keeps_a_constant_number_of_queries(django_assert_max_num_queries):
    case = open_case(failing_listing())
    caller = _as_supplier(case)
    with django_assert_max_num_queries(20) as few:
        assert caller.get(CASES).status_code == 200
    for _ in range(4):
        open_case(failing_listing(case.supplier))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(caller.get(CASES).json()["results"]) == 5
