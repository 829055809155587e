"""Enforcement (SPEC, "Compliance", Enforcement; issue 12 "Enforcement, appealable"): a failed
test opens a case holding the supplier's listings in the standard's markets; the ladder within
180 days adds a fine at its second step and suspends at its third; the supplier appeals within
7 days; an overturn reverses the fine, lifts the holds and reinstates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalogue.models import Listing
from compliance.models import EnforcementCase, MarketHold, TestRecord
from compliance.services.enforcement import (
    case_appeal,
    case_overturn,
    case_uphold,
    cases_open_for_failures,
    market_hold_lift,
    market_hold_place,
)
from compliance.tasks import open_enforcement_cases
from marketplace.errors import DomainError
from marketplace.models import Event
from suppliers.models import LedgerEntry, Supplier
from suppliers.selectors import supplier_balance
from tests.factories.catalogue import CategoryFactory, ListingFactory
from tests.factories.compliance import RequirementFactory, StandardFactory, TestProgrammeFactory
from tests.factories.suppliers import MembershipFactory

from .enforcement_helpers import failed_record, failing_listing, open_case

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% evidence\n"


def _member(supplier: Supplier):
    return MembershipFactory(supplier=supplier).user


# --- Opening -----------------------------------------------------------------------------------


def test_a_failed_record_opens_one_case_holding_every_listing_in_every_covered_market():
    listing = failing_listing()
    semi = ListingFactory(
        supplier=listing.supplier, product=listing.product, mode=Listing.Mode.SEMI_MANAGED
    )
    standard = StandardFactory(code="EN 71-3", market="EU")
    # The UK's programme in force requires the EU standard too: its market is covered.
    RequirementFactory(
        programme=TestProgrammeFactory(category=CategoryFactory(), market="UK"), standard=standard
    )
    # A programme no longer in force does not widen the markets.
    RequirementFactory(
        programme=TestProgrammeFactory(
            category=CategoryFactory(),
            market="US",
            effective_from=date(2020, 1, 1),
            effective_to=date(2021, 1, 1),
        ),
        standard=standard,
    )
    record = failed_record(listing, standard=standard)

    assert cases_open_for_failures() == 1

    case = EnforcementCase.objects.get()
    assert (case.test_record, case.supplier, case.listing, case.step) == (
        record,
        listing.supplier,
        listing,
        1,
    )
    assert case.status == "open"
    assert case.fine_entry is None
    held = set(MarketHold.objects.values_list("listing_id", "market", "reason", "case_id"))
    assert held == {
        (listing.pk, "EU", "enforcement", case.pk),
        (listing.pk, "UK", "enforcement", case.pk),
        (semi.pk, "EU", "enforcement", case.pk),
        (semi.pk, "UK", "enforcement", case.pk),
    }
    opened = Event.objects.get(kind="compliance.case_opened")
    assert opened.supplier_id == listing.supplier_id
    assert opened.payload["step"] == 1
    assert opened.payload["markets"] == ["EU", "UK"]
    assert opened.payload["fine"] is None
    assert Event.objects.filter(kind="compliance.market_held").count() == 4


def test_a_rerun_opens_nothing_more():
    listing = failing_listing()
    failed_record(listing)
    assert cases_open_for_failures() == 1
    assert cases_open_for_failures() == 0
    assert open_enforcement_cases() == "0 enforcement cases opened"
    assert EnforcementCase.objects.count() == 1
    assert MarketHold.objects.count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"result": TestRecord.Result.PASS},
        {"result": TestRecord.Result.INCONCLUSIVE},
        {"status": TestRecord.Status.UNVERIFIED, "verified_at": None},
        {"status": TestRecord.Status.REJECTED},
    ],
    ids=["pass", "inconclusive", "unverified", "rejected"],
)
def test_only_a_failed_record_that_counts_opens_a_case(fields):
    failed_record(failing_listing(), **fields)
    assert cases_open_for_failures() == 0
    assert not EnforcementCase.objects.exists()


def test_a_superseded_failure_opens_no_case():
    listing = failing_listing()
    retest = failed_record(listing, result=TestRecord.Result.PASS)
    failed_record(listing, superseded_by=retest, superseded_at=timezone.now())
    assert cases_open_for_failures() == 0


def test_a_failure_with_no_listing_of_the_supplier_waits():
    listing = failing_listing()
    other = failing_listing()
    # The record is of a product the supplier does not list (another supplier lists it).
    failed_record(other, supplier=listing.supplier)
    assert cases_open_for_failures() == 0


# --- The ladder: 1, 2, 3 within 180 days --------------------------------------------------------


def test_the_ladder_fines_the_second_failure_and_suspends_at_the_third():
    listing = failing_listing()
    supplier = listing.supplier
    start = supplier_balance(supplier.pk)
    first = open_case(listing)
    t0 = first.opened_at
    with time_machine.travel(t0 + timedelta(days=60)):
        second = open_case(failing_listing(supplier))
    # 180 days to the microsecond after the first: still within the window.
    with time_machine.travel(t0 + timedelta(days=180), tick=False):
        third = open_case(failing_listing(supplier))
        fourth = open_case(failing_listing(supplier))

    assert [c.step for c in (first, second, third, fourth)] == [1, 2, 3, 3]
    assert first.fine_entry is None
    for case in (second, third, fourth):
        assert case.fine_entry.kind == LedgerEntry.Kind.FINE
        assert case.fine_entry.amount == Decimal("-2000.00")
        assert case.fine_entry.reference == case
    assert supplier_balance(supplier.pk) == start - Decimal("6000.00")
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert (third.suspended_supplier, fourth.suspended_supplier) == (True, False)
    assert (
        Event.objects.filter(kind="supplier.status_changed", supplier_id=supplier.pk).count() == 1
    )


def test_a_failure_181_days_after_the_first_restarts_at_step_one():
    listing = failing_listing()
    first = open_case(listing)
    with time_machine.travel(first.opened_at + timedelta(days=181)):
        later = open_case(failing_listing(listing.supplier))
    assert (first.step, later.step) == (1, 1)
    assert later.fine_entry is None


def test_an_overturned_case_does_not_count_toward_the_ladder(compliance_officer):
    listing = failing_listing()
    first = open_case(listing)
    case_appeal(first, text="The lab tested another product.", actor=_member(listing.supplier))
    case_overturn(first, note="Wrong sample.", actor=compliance_officer)
    assert open_case(failing_listing(listing.supplier)).step == 1


def test_the_fine_is_the_setting(settings):
    settings.COMPLIANCE_FINE_CNY = Decimal("350.50")
    listing = failing_listing()
    open_case(listing)
    second = open_case(failing_listing(listing.supplier))
    assert second.fine_entry.amount == Decimal("-350.50")


def test_the_window_is_the_setting(settings):
    settings.COMPLIANCE_LADDER_WINDOW = timedelta(days=30)
    listing = failing_listing()
    first = open_case(listing)
    with time_machine.travel(first.opened_at + timedelta(days=31)):
        assert open_case(failing_listing(listing.supplier)).step == 1


def test_a_supplier_not_active_is_not_suspended_again():
    listing = failing_listing()
    Supplier.objects.filter(pk=listing.supplier_id).update(status=Supplier.Status.SUSPENDED)
    open_case(listing)
    open_case(failing_listing(listing.supplier))
    third = open_case(failing_listing(listing.supplier))
    assert third.step == 3
    assert not third.suspended_supplier


# --- Appeals -----------------------------------------------------------------------------------


def test_the_supplier_appeals_within_seven_days_with_evidence():
    listing = failing_listing()
    case = open_case(listing)
    member = _member(listing.supplier)
    with time_machine.travel(case.opened_at + timedelta(days=7), tick=False):
        appealed = case_appeal(
            case,
            text="  Our retest passes.  ",
            file=SimpleUploadedFile("retest.pdf", PDF, content_type="application/pdf"),
            actor=member,
        )
    assert appealed.status == "appealed"
    assert appealed.appeal_text == "Our retest passes."
    assert appealed.appeal_file.read() == PDF
    event = Event.objects.get(kind="compliance.case_appealed")
    assert event.payload == {"from": "open", "to": "appealed", "step": 1, "evidence": True}
    assert event.actor == member


def test_an_appeal_after_seven_days_is_refused_naming_the_window():
    listing = failing_listing()
    case = open_case(listing)
    with (
        time_machine.travel(case.opened_at + timedelta(days=7, seconds=1)),
        pytest.raises(DomainError) as refused,
    ):
        case_appeal(case, text="Too late?", actor=_member(listing.supplier))
    assert refused.value.code == "appeal_window_closed"
    assert "7 days" in refused.value.message
    case.refresh_from_db()
    assert case.status == "open"
    assert not case.appeal_text


def test_another_suppliers_people_cannot_appeal():
    case = open_case(failing_listing())
    stranger = _member(failing_listing().supplier)
    with pytest.raises(DomainError) as refused:
        case_appeal(case, text="Not mine", actor=stranger)
    assert refused.value.code == "not_found"


@pytest.mark.parametrize(
    ("text", "content", "code", "field"),
    [
        ("   ", PDF, "appeal_text_required", "text"),
        ("Why", b"MZ\x90\x00 an executable", "invalid_evidence", "file"),
    ],
)
def test_bad_appeals_are_refused_naming_the_field(text, content, code, field):
    listing = failing_listing()
    case = open_case(listing)
    with pytest.raises(DomainError) as refused:
        case_appeal(
            case,
            text=text,
            file=SimpleUploadedFile("x.pdf", content),
            actor=_member(listing.supplier),
        )
    assert refused.value.code == code
    assert field in refused.value.fields
    case.refresh_from_db()
    assert case.status == "open"


def test_a_case_is_appealed_once():
    listing = failing_listing()
    case = open_case(listing)
    member = _member(listing.supplier)
    case_appeal(case, text="First", actor=member)
    again = case_appeal(case, text="Second", actor=member)
    assert again.appeal_text == "First"
    assert Event.objects.filter(kind="compliance.case_appealed").count() == 1


def test_an_officer_decides_only_an_appealed_case(compliance_officer):
    case = open_case(failing_listing())
    with pytest.raises(DomainError) as refused:
        case_uphold(case, note="Stands.", actor=compliance_officer)
    assert refused.value.code == "invalid_transition"


def test_upholding_leaves_everything_standing(compliance_officer):
    listing = failing_listing()
    open_case(listing)
    case = open_case(failing_listing(listing.supplier))
    case_appeal(case, text="Please", actor=_member(listing.supplier))
    with pytest.raises(DomainError) as refused:
        case_uphold(case, note=" ", actor=compliance_officer)
    assert refused.value.code == "note_required"
    upheld = case_uphold(case, note="The report is sound.", actor=compliance_officer)
    assert (upheld.status, upheld.decided_by, upheld.decision_note) == (
        "upheld",
        compliance_officer,
        "The report is sound.",
    )
    assert upheld.fine_reversal is None
    assert not MarketHold.objects.filter(case=case, lifted_at__isnull=False).exists()


def test_overturning_reverses_the_fine_lifts_the_holds_and_reinstates(compliance_officer):
    listing = failing_listing()
    supplier = listing.supplier
    start = supplier_balance(supplier.pk)
    open_case(listing)
    open_case(failing_listing(supplier))
    third = open_case(failing_listing(supplier))
    supplier.refresh_from_db()
    assert supplier.status == "suspended"
    assert supplier_balance(supplier.pk) == start - Decimal("4000.00")

    case_appeal(third, text="The sample was not ours.", actor=_member(supplier))
    overturned = case_overturn(third, note="Sample mix-up at the lab.", actor=compliance_officer)

    assert overturned.status == "overturned"
    reversal = overturned.fine_reversal
    assert reversal.kind == LedgerEntry.Kind.FINE_REVERSAL
    assert reversal.amount == Decimal("2000.00")
    assert reversal.corrects == third.fine_entry
    assert supplier_balance(supplier.pk) == start - Decimal("2000.00")
    holds = MarketHold.objects.filter(case=third)
    assert holds.exists()
    assert all(h.lifted_at and h.lifted_by == compliance_officer for h in holds)
    assert Event.objects.filter(kind="compliance.market_lifted").count() == holds.count()
    supplier.refresh_from_db()
    assert supplier.status == "active"
    # Done once: the case is where it should be.
    case_overturn(third, note="again", actor=compliance_officer)
    assert LedgerEntry.objects.filter(kind="fine_reversal").count() == 1


def test_overturning_a_case_that_suspended_nobody_leaves_the_supplier_alone(compliance_officer):
    listing = failing_listing()
    case = open_case(listing)
    Supplier.objects.filter(pk=listing.supplier_id).update(status=Supplier.Status.SUSPENDED)
    case_appeal(case, text="x", actor=_member(listing.supplier))
    case_overturn(case, note="y", actor=compliance_officer)
    listing.supplier.refresh_from_db()
    assert listing.supplier.status == "suspended"


def test_a_standing_case_at_step_three_keeps_the_supplier_suspended(compliance_officer):
    listing = failing_listing()
    supplier = listing.supplier
    for _ in range(2):
        open_case(failing_listing(supplier))
    third = open_case(listing)
    fourth = open_case(failing_listing(supplier))
    case_appeal(third, text="x", actor=_member(supplier))
    case_overturn(third, note="y", actor=compliance_officer)
    supplier.refresh_from_db()
    assert supplier.status == "suspended"
    fourth.refresh_from_db()
    assert fourth.suspended_supplier
    case_appeal(fourth, text="x", actor=_member(supplier))
    case_overturn(fourth, note="y", actor=compliance_officer)
    supplier.refresh_from_db()
    assert supplier.status == "active"


# --- Holds by hand -------------------------------------------------------------------------------


def test_an_officer_places_and_lifts_a_hold(compliance_officer):
    listing = failing_listing()
    with pytest.raises(DomainError) as refused:
        market_hold_place(listing, market="FR", note="x", actor=compliance_officer)
    assert refused.value.code == "unknown_market"
    hold = market_hold_place(listing, market="US", note="Recall notice", actor=compliance_officer)
    assert (hold.reason, hold.placed_by, hold.case) == ("officer", compliance_officer, None)
    assert market_hold_place(listing, market="US", note="again", actor=compliance_officer) == hold
    lifted = market_hold_lift(hold, note="Recall withdrawn", actor=compliance_officer)
    assert lifted.lifted_at
    assert lifted.lift_note == "Recall withdrawn"
    kinds = list(
        Event.objects.filter(subject_id=str(hold.pk)).order_by("pk").values_list("kind", flat=True)
    )
    assert kinds == ["compliance.market_held", "compliance.market_lifted"]
    assert (
        market_hold_lift(hold, note="again", actor=compliance_officer).lifted_at == lifted.lifted_at
    )


def test_a_cases_hold_is_lifted_by_overturning_not_by_hand(compliance_officer):
    case = open_case(failing_listing())
    hold = MarketHold.objects.get(case=case)
    with pytest.raises(DomainError) as refused:
        market_hold_lift(hold, note="x", actor=compliance_officer)
    assert refused.value.code == "hold_of_a_case"


def test_cases_and_quarantines_move_as_the_spec_says():
    from compliance.models import ENFORCEMENT_CASE_MACHINE
    from logistics.models import QUARANTINE_MACHINE

    assert ENFORCEMENT_CASE_MACHINE.pairs() == {
        ("open", "appealed"),
        ("appealed", "upheld"),
        ("appealed", "overturned"),
    }
    assert QUARANTINE_MACHINE.pairs() == {("held", "released"), ("held", "written_off")}
