"""Compliance (SPEC, "Compliance: third-party testing"). Test records arrive first, because tenders
require a passing test; labs, certificates, audits, sampling and the gates follow with the
compliance feature."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TestRecord(models.Model):
    """A third-party lab's test of a supplier's product against one standard."""

    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")

    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="test_records"
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="test_records"
    )
    standard = models.CharField(_("standard"), max_length=100, help_text=_("e.g. EN 71-3"))
    lab = models.CharField(_("lab"), max_length=200)
    report_number = models.CharField(_("report number"), max_length=100)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    issued_on = models.DateField(_("issued"))
    valid_until = models.DateField(_("valid until"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["lab", "report_number"], name="one_record_per_report"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")), name="valid_after_issue"
            ),
        ]
        indexes = [models.Index(fields=["product", "supplier", "standard"], name="test_lookup")]
        verbose_name = _("test record")
        verbose_name_plural = _("test records")

    def __str__(self) -> str:
        return f"{self.standard} {self.get_result_display()} ({self.report_number})"
