"""Factory audits, their findings, and the corrective action (CAPA) each finding gets.

The supplier answers an action (root cause, containment, preventive step, evidence) and marks it
done; an officer closes it after reviewing its effectiveness, or reopens it. An overdue critical
action pauses the supplier's listings in the finding's category until it is closed."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from marketplace.states import Machine


class Audit(models.Model):
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="audits",
        verbose_name=_("supplier"),
    )
    factory = models.ForeignKey(
        "suppliers.Factory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audits",
        verbose_name=_("factory"),
    )
    auditor = models.CharField(
        _("auditor"), max_length=200, help_text=_("Firm and auditor's name.")
    )
    audited_on = models.DateField(_("audit date"))
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(100)])
    report_file = models.FileField(
        _("report (PDF)"), upload_to="compliance/audits/%Y/%m/", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-audited_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=100), name="audit_score_0_to_100")
        ]
        verbose_name = _("factory audit")
        verbose_name_plural = _("factory audits")

    def __str__(self) -> str:
        return f"{self.supplier} {self.audited_on} ({self.score})"


class Finding(models.Model):
    class Severity(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        MAJOR = "major", _("Major")
        MINOR = "minor", _("Minor")

    audit = models.ForeignKey(
        Audit, on_delete=models.CASCADE, related_name="findings", verbose_name=_("audit")
    )
    severity = models.CharField(
        pgettext_lazy("finding", "severity"), max_length=10, choices=Severity.choices
    )
    # The product category it concerns (an overdue critical action pauses those listings).
    category = models.ForeignKey(
        "catalogue.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    area = models.CharField(
        _("area"), max_length=100, help_text=_("e.g. chemical control, traceability")
    )
    description = models.TextField(_("description"))

    class Meta:
        ordering = ["audit", "id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.area}"


class CorrectiveAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        SUBMITTED = "submitted", _("Submitted for review")
        CLOSED = "closed", _("Closed")

    finding = models.OneToOneField(
        Finding, on_delete=models.CASCADE, related_name="action", verbose_name=_("finding")
    )
    # Denormalised from the audit so a supplier's actions are one indexed read.
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name=_("supplier"),
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    root_cause = models.TextField(_("root cause"), blank=True)
    containment = models.TextField(_("containment"), blank=True)
    preventive_step = models.TextField(_("preventive step"), blank=True)
    effectiveness_review = models.TextField(_("effectiveness review"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Reminders sent (SPEC defaults: 10 days and 1 day before it is due), so each goes once.
    reminded_days = models.JSONField(_("reminders sent"), default=list, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["supplier", "status"], name="action_supplier_status")]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")

    def __str__(self) -> str:
        return f"CAPA {self.pk} ({self.get_status_display()})"


# The supplier submits (marks done); an officer closes it after the effectiveness review, or
# reopens it.
CORRECTIVE_ACTION_MACHINE = Machine(
    CorrectiveAction,
    {"open": {"submitted"}, "submitted": {"closed", "open"}, "closed": set()},
    event="compliance.action_{to}",
    stamped="status_changed_at",
)


class ActionEvidence(models.Model):
    action = models.ForeignKey(CorrectiveAction, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(_("file"), upload_to="compliance/capa/%Y/%m/")
    note = models.CharField(_("note"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["action", "uploaded_at"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return self.file.name
