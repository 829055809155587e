"""The sentences of the factory-audit and corrective-action events (compliance.audit_recorded,
compliance.action_*), from their payload."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from compliance.models import Audit, CorrectiveAction
from marketplace.models import Event

from .sentences import Describer
from .subjects import Context


def _audit_recorded(p: Mapping[str, Any], event: Event, c: Context) -> str:
    counts = p.get("findings") or {}
    return _(
        "A factory audit of %(date)s was recorded: score %(score)s, %(critical)s critical, "
        "%(major)s major and %(minor)s minor findings, each with a corrective action to do."
    ) % {
        "date": p.get("audited_on", "?"),
        "score": p.get("score", "?"),
        "critical": counts.get("critical", 0),
        "major": counts.get("major", 0),
        "minor": counts.get("minor", 0),
    }


def _action(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        return _(sentence) % {"action": p.get("action", "?"), "due": p.get("due_on", "?")}

    return describe


def _reminder(p: Mapping[str, Any], event: Event, c: Context) -> str:
    days = int(p.get("days_left") or 0)
    return ngettext(
        "Reminder: corrective action #%(action)s is due in %(n)d day (%(due)s).",
        "Reminder: corrective action #%(action)s is due in %(n)d days (%(due)s).",
        days,
    ) % {"action": p.get("action", "?"), "n": days, "due": p.get("due_on", "?")}


DESCRIBE_AUDITS: dict[str, Describer] = {
    "compliance.audit_recorded": _audit_recorded,
    "compliance.action_answered": _action(
        gettext_noop("Your answer to corrective action #%(action)s was saved.")
    ),
    "compliance.action_evidence_added": _action(
        gettext_noop("Evidence was uploaded to corrective action #%(action)s.")
    ),
    "compliance.action_submitted": _action(
        gettext_noop("Corrective action #%(action)s was submitted for the marketplace's review.")
    ),
    "compliance.action_closed": _action(
        gettext_noop("The marketplace closed corrective action #%(action)s.")
    ),
    "compliance.action_open": _action(
        gettext_noop(
            "The marketplace reopened corrective action #%(action)s (due %(due)s): see its note."
        )
    ),
    "compliance.action_reminder": _reminder,
}

# Kinds whose reason the code wrote itself.
CODE_REASONS_AUDITS = frozenset({"compliance.action_reminder"})


def link_audits(subject: Any) -> str:
    if isinstance(subject, CorrectiveAction):
        return reverse("portal:compliance_action_detail", args=[subject.pk])
    if isinstance(subject, Audit):
        return reverse("portal:compliance_audit_detail", args=[subject.pk])
    return ""
