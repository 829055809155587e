"""Expiry: the warnings sent before a required test record or certificate expires (each once per
record and threshold), and the last known answer per live listing and market, so a lapse and a
restoration are each told once (`compliance.lapsed`, `compliance.restored`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.markets import Market

from .records import Certificate, TestRecord


class ExpiryWarning(models.Model):
    """A warning sent to the supplier that a record (or certificate) expires in `days` days or
    fewer: the daily job sends each threshold (COMPLIANCE_EXPIRY_WARNING_DAYS) once."""

    test_record = models.ForeignKey(
        TestRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    days = models.PositiveSmallIntegerField(_("days before expiry"))
    valid_until = models.DateField(_("valid until"))
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(test_record__isnull=True, certificate__isnull=False)
                | Q(test_record__isnull=False, certificate__isnull=True),
                name="expiry_warning_one_subject",
            ),
            models.UniqueConstraint(
                fields=["test_record", "days"],
                condition=Q(test_record__isnull=False),
                name="one_warning_per_record_threshold",
            ),
            models.UniqueConstraint(
                fields=["certificate", "days"],
                condition=Q(certificate__isnull=False),
                name="one_warning_per_certificate_threshold",
            ),
        ]
        verbose_name = _("expiry warning")
        verbose_name_plural = _("expiry warnings")

    def __str__(self) -> str:
        return f"{self.test_record_id or self.certificate_id}: {self.days} days"


class ListingMarketStatus(models.Model):
    """The compliance answer for a live listing in a market as last computed by the daily job
    (or right after a record changed): a change of `may_sell` is a lapse or a restoration."""

    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.CASCADE,
        related_name="compliance_statuses",
        verbose_name=_("listing"),
    )
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    may_sell = models.BooleanField(_("may be sold"))
    # The reasons' codes and details (standard, date) when it may not be sold.
    reasons = models.JSONField(_("reasons blocking the sale"), default=list, blank=True)
    changed_at = models.DateTimeField(_("answer changed"), default=timezone.now)
    checked_at = models.DateTimeField(_("last checked"), default=timezone.now)

    class Meta:
        ordering = ["listing", "market"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "market"], name="one_compliance_status_per_market"
            )
        ]
        indexes = [models.Index(fields=["market", "may_sell"], name="compliance_status_market")]
        verbose_name = _("compliance status")
        verbose_name_plural = _("compliance statuses")

    def __str__(self) -> str:
        return f"{self.listing_id} {self.market}: {'ok' if self.may_sell else 'blocked'}"
