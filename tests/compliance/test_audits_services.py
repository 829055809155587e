"""Audits and corrective actions: recording, the supplier's answer and submission, the officer's
close and reopen (CORRECTIVE_ACTION_MACHINE), and the reminders 10 and 1 days before due."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from compliance.models import (
    CORRECTIVE_ACTION_MACHINE,
    ActionEvidence,
    Audit,
    CorrectiveAction,
    Finding,
)
from compliance.services.audits import (
    FindingIn,
    action_answer,
    action_close,
    action_evidence_add,
    action_reminders_send,
    action_reopen,
    action_submit,
    audit_record,
)
from marketplace.errors import DomainError
from marketplace.models import Event
from tests.factories.catalogue import CategoryFactory
from tests.factories.suppliers import FactoryFactory, MembershipFactory, SupplierFactory

from .audits_support import CorrectiveActionFactory, answered, pdf, png

pytestmark = pytest.mark.django_db

AUDITED = date(2026, 11, 2)
TODAY = "2026-12-05 09:00:00+08:00"


def _record(supplier, officer, **overrides):
    factory = overrides.pop("factory", None) or FactoryFactory(supplier=supplier)
    values = {
        "factory": factory,
        "auditor": "QIMA, Zhang Min",
        "audited_on": AUDITED,
        "score": 64,
        "findings": [
            {
                "severity": "critical",
                "category": CategoryFactory(code="toys"),
                "area": "chemical control",
                "description": "Lead paint not controlled.",
                "due_on": AUDITED + timedelta(days=30),
            },
            FindingIn("minor", "housekeeping", "Aisles blocked.", AUDITED + timedelta(days=60)),
        ],
        "report_file": pdf("audit.pdf"),
        "actor": officer,
        **overrides,
    }
    return audit_record(supplier, **values)


def test_the_machine_is_the_spec():
    assert CORRECTIVE_ACTION_MACHINE.pairs() == {
        ("open", "submitted"),
        ("submitted", "closed"),
        ("submitted", "open"),
    }


@time_machine.travel(TODAY, tick=False)
def test_an_audit_is_recorded_with_one_action_per_finding_and_an_event(compliance_officer):
    supplier = SupplierFactory()
    audit = _record(supplier, compliance_officer)
    findings = list(audit.findings.order_by("id"))
    assert [f.severity for f in findings] == ["critical", "minor"]
    actions = CorrectiveAction.objects.filter(finding__audit=audit).order_by("id")
    assert [(a.supplier_id, a.due_on, a.status) for a in actions] == [
        (supplier.pk, date(2026, 12, 2), "open"),
        (supplier.pk, date(2027, 1, 1), "open"),
    ]
    event = Event.objects.get(kind="compliance.audit_recorded")
    assert event.supplier_id == supplier.pk
    assert event.payload["findings"] == {"critical": 1, "major": 0, "minor": 1}
    assert event.payload["score"] == 64


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"score": 101}, "score"),
        ({"score": -1}, "score"),
        ({"auditor": "  "}, "auditor"),
        ({"audited_on": date(2027, 1, 1)}, "audited_on"),
        (
            {"findings": [FindingIn("major", "fire", "No drill.", AUDITED - timedelta(days=1))]},
            "findings[0].due_on",
        ),
        ({"findings": [FindingIn("fatal", "fire", "No drill.", AUDITED)]}, "findings[0].severity"),
        ({"report_file": SimpleUploadedFile("audit.pdf", b"MZ\x90\x00")}, "report_file"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    compliance_officer, overrides, field
):
    supplier = SupplierFactory()
    with pytest.raises(DomainError) as refused:
        _record(supplier, compliance_officer, **overrides)
    assert refused.value.kind == "invalid"
    assert field in refused.value.fields
    assert not Audit.objects.exists()
    assert not Finding.objects.exists()
    assert not Event.objects.filter(kind__startswith="compliance.").exists()


@time_machine.travel(TODAY, tick=False)
def test_another_supplier_s_factory_is_refused(compliance_officer):
    supplier = SupplierFactory()
    with pytest.raises(DomainError) as refused:
        _record(supplier, compliance_officer, factory=FactoryFactory())
    assert "factory" in refused.value.fields
    assert not Audit.objects.exists()


def test_submitting_needs_the_whole_answer_and_evidence():
    action = CorrectiveActionFactory()
    user = MembershipFactory(supplier=action.supplier).user
    with pytest.raises(DomainError) as refused:
        action_submit(action, actor=user)
    assert set(refused.value.fields) == {"root_cause", "containment", "preventive_step"}
    action_answer(action, root_cause="Why", containment="Held", preventive_step="Test", actor=user)
    with pytest.raises(DomainError) as refused:
        action_submit(action, actor=user)
    assert refused.value.code == "evidence_required"
    action_evidence_add(action, file=png(), note="photo of the new rack", actor=user)
    action_submit(action, actor=user)
    action.refresh_from_db()
    assert action.status == "submitted"
    kinds = list(Event.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "compliance.action_answered",
        "compliance.action_evidence_added",
        "compliance.action_submitted",
    ]


def test_evidence_must_be_a_pdf_jpeg_or_png_by_content():
    action = CorrectiveActionFactory()
    user = MembershipFactory(supplier=action.supplier).user
    with pytest.raises(DomainError) as refused:
        action_evidence_add(
            action, file=SimpleUploadedFile("x.pdf", b"MZ\x90\x00binary"), actor=user
        )
    assert "file" in refused.value.fields
    assert not ActionEvidence.objects.exists()


def test_a_submitted_action_cannot_be_edited_by_the_supplier():
    action = answered(CorrectiveActionFactory())
    user = MembershipFactory(supplier=action.supplier).user
    action_submit(action, actor=user)
    with pytest.raises(DomainError):
        action_answer(action, root_cause="x", containment="y", preventive_step="z", actor=user)
    with pytest.raises(DomainError):
        action_evidence_add(action, file=pdf(), actor=user)


def test_closing_needs_the_review_and_a_submitted_action(compliance_officer):
    action = answered(CorrectiveActionFactory())
    with pytest.raises(DomainError) as refused:
        action_close(action, effectiveness_review="", actor=compliance_officer)
    assert "effectiveness_review" in refused.value.fields
    with pytest.raises(DomainError) as refused:
        action_close(action, effectiveness_review="Works.", actor=compliance_officer)
    assert refused.value.code == "invalid_transition"
    action_submit(action, actor=compliance_officer)
    action_close(action, effectiveness_review="Verified on site.", actor=compliance_officer)
    action.refresh_from_db()
    assert action.status == "closed"
    assert action.closed_by == compliance_officer
    assert action.closed_at is not None
    assert action.effectiveness_review == "Verified on site."
    event = Event.objects.get(kind="compliance.action_closed")
    assert event.reason == "Verified on site."
    assert event.supplier_id == action.supplier_id
    # Closed is final; closing again is a no-op, reopening is refused.
    action_close(action, effectiveness_review="again", actor=compliance_officer)
    assert Event.objects.filter(kind="compliance.action_closed").count() == 1
    with pytest.raises(DomainError):
        action_reopen(action, note="no", actor=compliance_officer)


def test_reopening_needs_a_note_and_gives_the_action_back(compliance_officer):
    action = answered(CorrectiveActionFactory())
    action_submit(action, actor=compliance_officer)
    with pytest.raises(DomainError) as refused:
        action_reopen(action, note=" ", actor=compliance_officer)
    assert "note" in refused.value.fields
    action_reopen(action, note="Photos missing.", actor=compliance_officer)
    action.refresh_from_db()
    assert action.status == "open"
    assert Event.objects.get(kind="compliance.action_open").reason == "Photos missing."


# --- Reminders -------------------------------------------------------------------------------


@override_settings(CAPA_REMINDER_DAYS=[10, 1])
def test_reminders_go_10_and_1_days_before_due_each_once_and_none_past_due():
    due = date(2026, 12, 20)
    action = CorrectiveActionFactory(due_on=due)
    submitted = CorrectiveActionFactory(due_on=due, status="submitted")
    late = CorrectiveActionFactory(due_on=date(2026, 12, 1))

    def run_on(day: str) -> int:
        with time_machine.travel(f"{day} 07:20:00+08:00", tick=False):
            return action_reminders_send()

    assert run_on("2026-12-09") == 0  # 11 days before
    assert run_on("2026-12-10") == 1  # 10 days
    assert run_on("2026-12-10") == 0  # a re-run sends nothing twice
    assert run_on("2026-12-15") == 0
    assert run_on("2026-12-19") == 1  # 1 day
    assert run_on("2026-12-19") == 0
    assert run_on("2026-12-21") == 0  # past due: never
    action.refresh_from_db()
    assert action.reminded_days == [1, 10]
    reminders = Event.objects.filter(kind="compliance.action_reminder").order_by("id")
    assert [(e.subject_id, e.payload["days_left"]) for e in reminders] == [
        (str(action.pk), 10),
        (str(action.pk), 1),
    ]
    assert reminders[0].supplier_id == action.supplier_id
    submitted.refresh_from_db()
    late.refresh_from_db()
    assert submitted.reminded_days == []
    assert late.reminded_days == []


def test_the_reminder_task_runs_the_service():
    from compliance.tasks import action_reminders_send_task

    with time_machine.travel("2026-12-10 07:20:00+08:00", tick=False):
        CorrectiveActionFactory(due_on=date(2026, 12, 20))
        assert action_reminders_send_task() == 1
        assert action_reminders_send_task() == 0
