"""Who may read which audits, corrective actions and evidence: a supplier user its own, staff
what their role's view permission allows, integrators none (the audit is between the platform and
the supplier). Every door fetches through these, so another supplier's id is a 404."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet

from accounts.models import User
from marketplace.formatting import suppliers_today
from marketplace.models import Event
from suppliers.selectors import supplier_id_for

from ..models import ActionEvidence, Audit, CorrectiveAction, Finding


def capa_today(now: datetime | None = None) -> date:
    """The day it is where the suppliers are (PORTAL_TIME_ZONE): a due date is the supplier's
    calendar day, for the countdowns, the reminders and "overdue" alike."""
    return suppliers_today(now)


def days_left(due_on: date, today: date) -> int:
    """Days until due (0 on the day; negative once overdue)."""
    return (due_on - today).days


def _visible(user: User, queryset: QuerySet[Any], perm: str, supplier: str) -> QuerySet[Any]:
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(**{supplier: supplier_id})
    if not hasattr(user, "api_client") and user.has_perm(perm):
        return queryset
    return queryset.none()


def audits_visible_to(user: User) -> QuerySet[Audit]:
    """With each audit's count of findings by severity."""
    S = Finding.Severity
    return _visible(
        user,
        Audit.objects.select_related("factory", "supplier").annotate(
            critical_count=Count("findings", filter=Q(findings__severity=S.CRITICAL)),
            major_count=Count("findings", filter=Q(findings__severity=S.MAJOR)),
            minor_count=Count("findings", filter=Q(findings__severity=S.MINOR)),
        ),
        "compliance.view_audit",
        "supplier_id",
    )


def corrective_actions_visible_to(user: User) -> QuerySet[CorrectiveAction]:
    return _visible(
        user,
        CorrectiveAction.objects.select_related(
            "finding__audit__factory", "finding__category", "supplier"
        ),
        "compliance.view_correctiveaction",
        "supplier_id",
    )


def action_evidence_visible_to(user: User) -> QuerySet[ActionEvidence]:
    return _visible(
        user,
        ActionEvidence.objects.select_related("action"),
        "compliance.view_actionevidence",
        "action__supplier_id",
    )


# The moves an officer makes on an action, shown to the supplier with what the officer wrote.
DECISION_KINDS = ("compliance.action_closed", "compliance.action_open")


def action_decisions(action: CorrectiveAction) -> list[Event]:
    """The officer's closes and reopens of this action, oldest first, with their text (the
    effectiveness review, the reopening note) in `reason`."""
    return list(
        Event.objects.filter(
            kind__in=DECISION_KINDS,
            subject_type=ContentType.objects.get_for_model(CorrectiveAction),
            subject_id=str(action.pk),
        ).order_by("occurred_at", "id")
    )
