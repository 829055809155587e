"""Factory audits and their corrective actions (CAPA; SPEC "Compliance", issue 12).

An officer records an audit with its findings; each finding gets one corrective action with a due
date. The supplier answers it (root cause, containment, preventive step), attaches evidence and
submits it; an officer closes it after an effectiveness review, or reopens it with a note. The
moves go through CORRECTIVE_ACTION_MACHINE (open → submitted → closed | open). A daily job reminds
the supplier CAPA_REMINDER_DAYS before an action is due, each reminder once.

What an overdue critical action does to listings is the catalogue's job (catalogue.services.
corrective_pauses), which reads these rows: compliance sits below the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.errors import DomainError, ErrorKind, invalid_input
from marketplace.events import NewEvent, record_event, record_events
from marketplace.files import upload_kind
from marketplace.states import transition
from suppliers.models import Factory, Supplier

from ..models import (
    CORRECTIVE_ACTION_MACHINE,
    ActionEvidence,
    Audit,
    CorrectiveAction,
    Finding,
)
from ..selectors.audits import capa_today

if TYPE_CHECKING:
    from accounts.models import User

A = CorrectiveAction.Status

# A report or a piece of evidence is known by its first bytes, since a name proves nothing.
MAX_FILE_BYTES = 10 * 1024 * 1024
EVIDENCE_KINDS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
# Long texts a person types; the model's fields are unbounded, the doors are not.
MAX_TEXT = 4000
# Reminders go out in batches of this many actions (the daily job).
REMINDER_BATCH = 500


@dataclass(frozen=True)
class FindingIn:
    severity: str
    area: str
    description: str
    due_on: date
    category: Any = None  # a catalogue Category or None (all of the supplier's listings)


def _check_file(upload: Any, field: str, *, kinds: Mapping[str, str]) -> None:
    """A file of one of `kinds` (extension → content), known by its content and named as what
    it is, at most MAX_FILE_BYTES."""
    name = getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_FILE_BYTES:
        raise invalid_input("file_too_large", field, _("The file may be at most 10 MB."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    actual = upload_kind(upload)
    if actual is None or kinds.get(extension) != actual:
        if set(kinds.values()) == {"pdf"}:
            raise invalid_input("file_not_pdf", field, _("The file must be a PDF."))
        raise invalid_input("file_type", field, _("The file must be a PDF, JPEG or PNG."))


def _as_finding(raw: FindingIn | Mapping[str, Any]) -> FindingIn:
    if isinstance(raw, FindingIn):
        return raw
    return FindingIn(
        severity=raw.get("severity", ""),
        area=raw.get("area", ""),
        description=raw.get("description", ""),
        due_on=raw.get("due_on"),  # type: ignore[arg-type]
        category=raw.get("category"),
    )


def _check_findings(findings: Sequence[FindingIn], audited_on: date) -> None:
    severities = set(Finding.Severity.values)
    for number, finding in enumerate(findings):
        prefix = f"findings[{number}]"
        if finding.severity not in severities:
            raise invalid_input(
                "finding_severity",
                f"{prefix}.severity",
                _("Choose critical, major or minor."),
            )
        if not (finding.area or "").strip():
            raise invalid_input("finding_area", f"{prefix}.area", _("Say which area it concerns."))
        if not (finding.description or "").strip():
            raise invalid_input(
                "finding_description", f"{prefix}.description", _("Describe the finding.")
            )
        if not isinstance(finding.due_on, date):
            raise invalid_input("finding_due_on", f"{prefix}.due_on", _("Give a due date."))
        if finding.due_on < audited_on:
            raise invalid_input(
                "due_before_audit",
                f"{prefix}.due_on",
                _("The due date cannot be before the audit date (%(date)s).")
                % {"date": audited_on.isoformat()},
            )


def audit_record(
    supplier: Supplier,
    *,
    factory: Factory | None,
    auditor: str,
    audited_on: date,
    score: int,
    findings: Iterable[FindingIn | Mapping[str, Any]] = (),
    report_file: UploadedFile | None = None,
    actor: User,
) -> Audit:
    """Record an audit of one of the supplier's factories with its findings, and one corrective
    action per finding, due when the finding says: all or nothing."""
    auditor = (auditor or "").strip()
    rows = [_as_finding(raw) for raw in findings]
    if not auditor:
        raise invalid_input(
            "auditor_required", "auditor", _("Name the audit firm and the auditor.")
        )
    if not isinstance(audited_on, date):
        raise invalid_input("audited_on_required", "audited_on", _("Give the audit date."))
    if audited_on > capa_today():
        raise invalid_input(
            "audited_in_future", "audited_on", _("The audit date is in the future.")
        )
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        raise invalid_input("score_range", "score", _("The score is from 0 to 100."))
    if factory is not None and factory.supplier_id != supplier.pk:
        raise invalid_input(
            "factory_not_supplier's", "factory", _("This factory is not the supplier's.")
        )
    if report_file:
        _check_file(report_file, "report_file", kinds={"pdf": "pdf"})
    _check_findings(rows, audited_on)
    with transaction.atomic():
        audit = Audit.objects.create(
            supplier=supplier,
            factory=factory,
            auditor=auditor,
            audited_on=audited_on,
            score=score,
            report_file=report_file or "",
            recorded_by=actor,
        )
        made = Finding.objects.bulk_create(
            Finding(
                audit=audit,
                severity=row.severity,
                category=row.category,
                area=row.area.strip(),
                description=row.description.strip(),
            )
            for row in rows
        )
        CorrectiveAction.objects.bulk_create(
            CorrectiveAction(finding=finding, supplier=supplier, due_on=row.due_on)
            for finding, row in zip(made, rows, strict=True)
        )
        counts = {s: sum(1 for r in rows if r.severity == s) for s in Finding.Severity.values}
        record_event(
            "compliance.audit_recorded",
            actor=actor,
            supplier=supplier,
            subject=audit,
            payload={
                "audit": audit.pk,
                "audited_on": audited_on.isoformat(),
                "score": score,
                "findings": counts,
            },
        )
    return audit


def _locked_open(action: CorrectiveAction) -> CorrectiveAction:
    locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
    if locked.status != A.OPEN:
        raise DomainError(
            "action_not_open",
            _("This corrective action is %(status)s: it cannot be changed now.")
            % {"status": locked.get_status_display()},
        )
    return locked


def action_answer(
    action: CorrectiveAction,
    *,
    root_cause: str,
    containment: str,
    preventive_step: str,
    actor: User,
) -> CorrectiveAction:
    """The supplier's answer: why it happened, what was contained, what prevents it again. May
    be saved as often as needed while the action is open."""
    values = {
        "root_cause": (root_cause or "").strip(),
        "containment": (containment or "").strip(),
        "preventive_step": (preventive_step or "").strip(),
    }
    for name, value in values.items():
        if len(value) > MAX_TEXT:
            raise invalid_input(
                "text_too_long", name, _("At most %(n)d characters.") % {"n": MAX_TEXT}
            )
    with transaction.atomic():
        locked = _locked_open(action)
        if all(getattr(locked, name) == value for name, value in values.items()):
            return locked
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(values))
        record_event(
            "compliance.action_answered",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={"action": locked.pk},
        )
    for name, value in values.items():
        setattr(action, name, value)
    return locked


def action_evidence_add(
    action: CorrectiveAction, *, file: UploadedFile, note: str = "", actor: User
) -> ActionEvidence:
    """A file showing the correction (a photo, a procedure, a training record) while the action
    is open: a PDF, JPEG or PNG."""
    if not file:
        raise invalid_input("file_required", "file", _("Choose a file."))
    _check_file(file, "file", kinds=EVIDENCE_KINDS)
    note = (note or "").strip()
    if len(note) > 300:
        raise invalid_input("note_too_long", "note", _("At most %(n)d characters.") % {"n": 300})
    with transaction.atomic():
        locked = _locked_open(action)
        evidence = ActionEvidence.objects.create(
            action=locked, file=file, note=note, uploaded_by=actor
        )
        record_event(
            "compliance.action_evidence_added",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=locked,
            payload={"action": locked.pk, "evidence": evidence.pk},
        )
    return evidence


def action_submit(action: CorrectiveAction, *, actor: User) -> CorrectiveAction:
    """The supplier marks the action done: its answer complete and at least one evidence file."""

    def check(locked: CorrectiveAction) -> None:
        missing = {
            name: [_("Required before submitting.")]
            for name in ("root_cause", "containment", "preventive_step")
            if not getattr(locked, name).strip()
        }
        if missing:
            raise DomainError(
                "answer_incomplete",
                _("Fill in the root cause, containment and preventive step before submitting."),
                kind=ErrorKind.CONFLICT,
                fields=missing,
            )
        if not locked.evidence.exists():
            raise DomainError(
                "evidence_required",
                _("Attach at least one evidence file before submitting."),
                kind=ErrorKind.CONFLICT,
                fields={"file": [_("Required before submitting.")]},
            )

    return transition(
        action,
        CORRECTIVE_ACTION_MACHINE,
        A.SUBMITTED,
        actor=actor,
        check=check,
        payload={"action": action.pk, "due_on": action.due_on.isoformat()},
    )


def action_close(
    action: CorrectiveAction, *, effectiveness_review: str, actor: User
) -> CorrectiveAction:
    """An officer closes a submitted action after reviewing that the correction works."""
    review = (effectiveness_review or "").strip()
    if not review:
        raise invalid_input(
            "review_required",
            "effectiveness_review",
            _("Write the effectiveness review before closing."),
        )
    if len(review) > MAX_TEXT:
        raise invalid_input(
            "text_too_long",
            "effectiveness_review",
            _("At most %(n)d characters.") % {"n": MAX_TEXT},
        )
    return transition(
        action,
        CORRECTIVE_ACTION_MACHINE,
        A.CLOSED,
        actor=actor,
        reason=review,
        changes={
            "effectiveness_review": review,
            "closed_by": actor,
            "closed_at": timezone.now(),
        },
        payload={"action": action.pk, "due_on": action.due_on.isoformat()},
    )


def action_reopen(action: CorrectiveAction, *, note: str, actor: User) -> CorrectiveAction:
    """An officer sends a submitted action back to the supplier, saying what is still missing."""
    note = (note or "").strip()
    if not note:
        raise invalid_input("note_required", "note", _("Say what the supplier must still do."))
    if len(note) > MAX_TEXT:
        raise invalid_input(
            "text_too_long", "note", _("At most %(n)d characters.") % {"n": MAX_TEXT}
        )
    return transition(
        action,
        CORRECTIVE_ACTION_MACHINE,
        A.OPEN,
        actor=actor,
        reason=note,
        payload={"action": action.pk, "due_on": action.due_on.isoformat()},
    )


def action_reminders_send(*, today: date | None = None) -> int:
    """Remind suppliers of actions not yet submitted that fall due in exactly one of
    CAPA_REMINDER_DAYS days (10 and 1 by default), each reminder once (`reminded_days` keeps
    which went): a portal notification and the webhook compliance.action_reminder. A past
    deadline gets no reminder. A missed day is not made up: a reminder for 10 days is only sent
    10 days before. Returns how many reminders were sent."""
    today = today or capa_today()
    sent = 0
    for days in sorted({int(d) for d in settings.CAPA_REMINDER_DAYS if int(d) > 0}):
        due_on = today + timedelta(days=days)
        after = 0
        while True:
            with transaction.atomic():
                # Locked and skipped when another run holds them; the day is written back on
                # the row in the same transaction, so a re-run sends nothing twice.
                batch = list(
                    CorrectiveAction.objects.select_for_update(skip_locked=True)
                    .filter(status=A.OPEN, due_on=due_on, pk__gt=after)
                    .order_by("id")[:REMINDER_BATCH]
                )
                if not batch:
                    break
                after = batch[-1].pk
                due = [row for row in batch if days not in (row.reminded_days or [])]
                for row in due:
                    row.reminded_days = sorted({*(row.reminded_days or []), days})
                CorrectiveAction.objects.bulk_update(due, ["reminded_days"])
                record_events(
                    NewEvent(
                        "compliance.action_reminder",
                        actor=None,
                        supplier_id=row.supplier_id,
                        subject=row,
                        payload={
                            "action": row.pk,
                            "due_on": row.due_on.isoformat(),
                            "days_left": days,
                        },
                    )
                    for row in due
                )
                sent += len(due)
    return sent
