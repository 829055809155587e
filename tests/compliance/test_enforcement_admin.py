"""The officers' enforcement screens: cases (list, uphold/overturn with a note, the appeal's
evidence), holds (placed through the service, lifted with a note) and quarantines."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import EnforcementCase, MarketHold
from compliance.services.enforcement import case_appeal
from logistics.models import Quarantine, StockLot
from logistics.services.quarantine import quarantine_for_cases
from tests.factories.logistics import member_of, operator, position_of, stocked_listing
from tests.factories.suppliers import MembershipFactory

from .enforcement_helpers import failing_listing, open_case

pytestmark = pytest.mark.django_db

CASES = "/admin/compliance/enforcementcase/"
HOLDS = "/admin/compliance/markethold/"
QUARANTINES = "/admin/logistics/quarantine/"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def act(client, url, action, rows, **fields):
    return client.post(
        url,
        {"action": action, "_selected_action": [row.pk for row in rows], **fields},
        follow=True,
    )


def _appealed(listing=None) -> EnforcementCase:
    listing = listing or failing_listing()
    case = open_case(listing)
    member = MembershipFactory(supplier=listing.supplier).user
    return case_appeal(
        case,
        text="Retest attached",
        file=SimpleUploadedFile("retest.pdf", b"%PDF-1.4 retest"),
        actor=member,
    )


def test_the_case_list_shows_step_markets_fine_and_deadline_in_constant_queries(
    client, compliance_officer, django_assert_max_num_queries
):
    listing = failing_listing()
    open_case(listing)
    client.force_login(compliance_officer)
    with django_assert_max_num_queries(20) as few:
        page = client.get(CASES)
    assert page.status_code == 200
    for _ in range(3):
        open_case(failing_listing(listing.supplier))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(CASES)
    text = page.content.decode()
    assert "EN 71-3" in text
    assert "2,000.00" in text or "2000.00" in text


def test_an_officer_overturns_with_a_note_and_opens_the_evidence(client, compliance_officer):
    case = _appealed()
    client.force_login(compliance_officer)
    refused = act(client, CASES, "overturn", [case], note="")
    assert "Say why" in refused.content.decode()
    case.refresh_from_db()
    assert case.status == "appealed"

    act(client, CASES, "overturn", [case], note="Lab mix-up")
    case.refresh_from_db()
    assert (case.status, case.decision_note, case.decided_by) == (
        "overturned",
        "Lab mix-up",
        compliance_officer,
    )
    detail = client.get(f"{CASES}{case.pk}/change/")
    assert detail.status_code == 200
    assert f"{CASES}{case.pk}/evidence/" in detail.content.decode()
    evidence = client.get(f"{CASES}{case.pk}/evidence/")
    assert b"".join(evidence.streaming_content) == b"%PDF-1.4 retest"


def test_an_officer_upholds(client, compliance_officer):
    case = _appealed()
    client.force_login(compliance_officer)
    act(client, CASES, "uphold", [case], note="The report stands")
    case.refresh_from_db()
    assert case.status == "upheld"


def test_a_supplier_user_cannot_open_the_case_admin(client):
    case = _appealed()
    member = MembershipFactory(supplier=case.supplier).user
    client.force_login(member)
    assert client.get(f"{CASES}{case.pk}/evidence/").status_code in (302, 403, 404)


def test_an_officer_places_a_hold_through_the_service_and_lifts_it(client, compliance_officer):
    listing = failing_listing()
    client.force_login(compliance_officer)
    response = client.post(
        f"{HOLDS}add/", {"listing": listing.pk, "market": "US", "note": "Recall"}, follow=True
    )
    assert response.status_code == 200
    hold = MarketHold.objects.get()
    assert (hold.reason, hold.placed_by, hold.market) == ("officer", compliance_officer, "US")
    refused = client.post(f"{HOLDS}add/", {"listing": listing.pk, "market": "US", "note": ""})
    assert refused.status_code == 200
    assert MarketHold.objects.count() == 1

    act(client, HOLDS, "lift", [hold], note="Recall withdrawn")
    hold.refresh_from_db()
    assert hold.lifted_at is not None
    assert hold.lift_note == "Recall withdrawn"
    assert client.get(HOLDS).status_code == 200


def test_quarantines_are_released_or_written_off_in_the_admin(client):
    staff = operator()
    one, two = stocked_listing(5), stocked_listing(3)
    for listing in (one, two):
        open_case(listing, stock_lot=StockLot.objects.get(position=position_of(listing)))
    quarantine_for_cases()
    first, second = Quarantine.objects.order_by("pk")
    client.force_login(staff)
    assert client.get(QUARANTINES).status_code == 200
    assert client.get(f"{QUARANTINES}{first.pk}/change/").status_code == 200

    act(client, QUARANTINES, "release", [first], note="Retest passed")
    act(client, QUARANTINES, "write_off", [second], note="Destroyed")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("released", "written_off")
    assert position_of(one).available == 5
    assert position_of(two).on_hand == 0
    assert member_of(one)  # the supplier's people never reach this page: staff only
