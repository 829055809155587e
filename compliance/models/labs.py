"""Accredited third-party labs and the standards each is accredited for, with dates: a lab may
post results (through its API client) only for standards its accreditation covers on the issue
date."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .rules import Standard


class Lab(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    name = models.CharField(_("name"), max_length=200, unique=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text=_("ISO 3166 code"))
    accreditation_body = models.CharField(
        _("accreditation body"), max_length=120, blank=True, help_text=_("e.g. CNAS, DAkkS, A2LA")
    )
    accreditation_number = models.CharField(_("accreditation number"), max_length=60, blank=True)
    cpsc_accepted = models.BooleanField(
        _("CPSC-accepted"),
        default=False,
        help_text=_("Accepted by the US CPSC for children's products."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    # The integrator through which the lab posts its results (scope labs:write).
    api_client = models.OneToOneField(
        "accounts.ApiClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lab",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("lab")
        verbose_name_plural = _("labs")

    def __str__(self) -> str:
        return self.name


class LabAccreditation(models.Model):
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="accreditations")
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="accreditations")
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["lab", "standard", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="accreditation_dates_ordered",
            )
        ]
        indexes = [
            models.Index(fields=["lab", "standard", "valid_from"], name="accreditation_lookup")
        ]
        verbose_name = _("accreditation")
        verbose_name_plural = _("accreditations")

    def __str__(self) -> str:
        return f"{self.lab} — {self.standard}"
