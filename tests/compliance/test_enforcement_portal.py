"""The supplier's enforcement pages: each case with what happened (markets held, fine,
suspension), the appeal deadline's countdown, the appeal with its evidence, the decision; another
supplier's people see none of it (404 on every address); zh-hans; constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from compliance.models import EnforcementCase
from compliance.services.enforcement import case_appeal, case_overturn
from tests.factories.catalogue import ProductFactory
from tests.factories.suppliers import MembershipFactory
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, leaked, rival_member

from .enforcement_helpers import failed_record, failing_listing, open_case

pytestmark = pytest.mark.django_db

LIST = reverse("portal:compliance_cases")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _detail(case: EnforcementCase) -> str:
    return reverse("portal:compliance_case_detail", args=[case.pk])


def _owner(case: EnforcementCase):
    return MembershipFactory(supplier=case.supplier, role="owner").user


def test_the_list_shows_what_each_case_did_with_a_countdown(client):
    listing = failing_listing()
    open_case(listing)
    second = open_case(failing_listing(listing.supplier))
    client.force_login(_owner(second))
    page = client.get(LIST)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Delisted and fined" in text
    assert "2,000.00" in text or "2000.00" in text
    assert 'data-testid="appeal-countdown"' in text
    assert "6 d 23:" in text


def test_the_supplier_appeals_with_evidence_and_reads_the_decision(client, compliance_officer):
    case = open_case(failing_listing())
    owner = _owner(case)
    client.force_login(owner)
    refused = client.post(
        _detail(case), {"text": "x", "file": SimpleUploadedFile("a.pdf", b"not a pdf")}
    )
    assert refused.status_code == 200
    assert "PDF, JPEG or PNG" in refused.content.decode()

    sent = client.post(
        _detail(case),
        {"text": "Our retest passes", "file": SimpleUploadedFile("retest.pdf", b"%PDF-1.4 x")},
    )
    assert sent.status_code == 302
    case.refresh_from_db()
    assert case.status == "appealed"
    page = client.get(_detail(case)).content.decode()
    assert "Our retest passes" in page
    assert "retest.pdf" in page
    evidence = client.get(reverse("portal:compliance_case_evidence", args=[case.pk]))
    assert b"".join(evidence.streaming_content) == b"%PDF-1.4 x"

    case_overturn(case, note="Lab sample mix-up", actor=compliance_officer)
    page = client.get(_detail(case)).content.decode()
    assert "Overturned" in page
    assert "Lab sample mix-up" in page


def test_after_seven_days_the_form_is_gone_and_says_when_it_closed(client):
    case = open_case(failing_listing())
    client.force_login(_owner(case))
    with time_machine.travel(case.opened_at + timedelta(days=7, minutes=1)):
        page = client.get(_detail(case)).content.decode()
        late = client.post(_detail(case), {"text": "late"})
    assert 'data-testid="appeal-form"' not in page
    assert "The appeal window closed" in page
    assert late.status_code == 200
    case.refresh_from_db()
    assert case.status == "open"


def test_the_pages_read_in_chinese(client):
    case = open_case(failing_listing())
    client.force_login(_owner(case))
    with translation.override("zh-hans"):
        listed = client.get(LIST, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        detail = client.get(_detail(case), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "执法案件" in listed
    assert "申诉" in detail


def test_the_list_keeps_a_constant_number_of_queries(client, django_assert_max_num_queries):
    listing = failing_listing()
    case = open_case(listing)
    client.force_login(_owner(case))
    with django_assert_max_num_queries(30) as few:
        client.get(LIST)
    for _ in range(4):
        open_case(failing_listing(listing.supplier))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST)


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_supplier_sees_none_of_it(client, role):
    listing = failing_listing()
    listing.product = ProductFactory(title_en="Secret Enforced Kite", title_zh="秘密执法风筝")
    listing.save(update_fields=["product"])
    record = failed_record(listing, report_number="RPT-SECRET-9")
    from compliance.services.enforcement import cases_open_for_failures

    cases_open_for_failures()
    case = EnforcementCase.objects.get(test_record=record)
    case_appeal(
        case,
        text="secret appeal text",
        file=SimpleUploadedFile("secret-evidence.pdf", b"%PDF-1.4 s"),
        actor=_owner(case),
    )
    secrets = ["Secret Enforced Kite", "秘密执法风筝", "RPT-SECRET-9", "secret appeal text"]
    client.force_login(rival_member(role))
    page = client.get(LIST)
    assert page.status_code == 200
    assert leaked(page, secrets) == []

    def state() -> object:
        case.refresh_from_db()
        return (case.status, case.appeal_text, case.appealed_at)

    assert_ids_are_404(
        client,
        [
            ("get", _detail(case), {}),
            ("post", _detail(case), {"text": "hijack"}),
            ("get", reverse("portal:compliance_case_evidence", args=[case.pk]), {}),
        ],
        state=state,
        secrets=secrets,
    )
