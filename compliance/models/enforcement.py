"""Enforcement (SPEC, "Enforcement"): a failed test opens a case against the supplier. The case
holds the listing off sale in the markets the standard covers; a second failure within the
window adds a fine, a third suspends the supplier. The supplier may appeal; an officer upholds
or overturns (the fine reversed, the holds lifted)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.markets import Market
from marketplace.states import Machine


class EnforcementCase(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        APPEALED = "appealed", _("Appealed")
        UPHELD = "upheld", _("Upheld")
        OVERTURNED = "overturned", _("Overturned")

    class Step(models.IntegerChoices):
        DELIST = 1, _("Delisted in the affected markets")
        FINE = 2, _("Delisted and fined")
        SUSPEND = 3, _("Delisted, fined and supplier suspended")

    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="enforcement_cases",
        verbose_name=_("supplier"),
    )
    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.PROTECT,
        related_name="enforcement_cases",
        verbose_name=_("listing"),
    )
    # One case per failed record: opening is idempotent.
    test_record = models.OneToOneField(
        "compliance.TestRecord", on_delete=models.PROTECT, related_name="enforcement_case"
    )
    step = models.PositiveSmallIntegerField(_("step"), choices=Step.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    fine_entry = models.OneToOneField(
        "suppliers.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fine_reversal = models.OneToOneField(
        "suppliers.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Whether this case's step 3 moved the supplier to suspended (an overturn reinstates only
    # what its case suspended, not a supplier an operator or another case suspended).
    suspended_supplier = models.BooleanField(_("suspended the supplier"), default=False)
    appeal_text = models.TextField(_("appeal"), blank=True)
    appeal_file = models.FileField(
        _("appeal evidence"), upload_to="compliance/appeals/%Y/%m/", blank=True
    )
    appealed_at = models.DateTimeField(_("appealed"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("decision"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["supplier", "opened_at"], name="case_supplier_window")]
        verbose_name = _("enforcement case")
        verbose_name_plural = _("enforcement cases")

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.get_status_display()})"

    @property
    def appeal_until(self) -> datetime:
        """The supplier may appeal until this moment (SPEC: within 7 days)."""
        return self.opened_at + settings.COMPLIANCE_APPEAL_WINDOW


# Open → appealed (the supplier, within the window) → upheld | overturned (an officer). A case
# not appealed stays open: its effects stand.
ENFORCEMENT_CASE_MACHINE = Machine(
    EnforcementCase,
    {
        "open": {"appealed"},
        "appealed": {"upheld", "overturned"},
        "upheld": set(),
        "overturned": set(),
    },
    event="compliance.case_{to}",
    stamped="status_changed_at",
)


class MarketHold(models.Model):
    """A listing held off sale in one market, from `started_at` until lifted. The compliance
    answer reads the holds in force at the moment asked about."""

    class Reason(models.TextChoices):
        ENFORCEMENT = "enforcement", _("Failed test (enforcement)")
        OFFICER = "officer", _("Compliance officer's decision")

    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.PROTECT,
        related_name="market_holds",
        verbose_name=_("listing"),
    )
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    case = models.ForeignKey(
        EnforcementCase, on_delete=models.PROTECT, null=True, blank=True, related_name="holds"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_note = models.CharField(_("why lifted"), max_length=300, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # A case holds each of the supplier's listings of the product (one per mode) in
            # each market the standard covers, once.
            models.UniqueConstraint(
                fields=["case", "listing", "market"],
                condition=Q(case__isnull=False),
                name="one_hold_per_case_listing_market",
            ),
            models.CheckConstraint(
                condition=Q(lifted_at__isnull=True) | Q(lifted_at__gte=models.F("started_at")),
                name="hold_lifted_after_start",
            ),
        ]
        indexes = [models.Index(fields=["listing", "market", "started_at"], name="hold_lookup")]
        verbose_name = _("market hold")
        verbose_name_plural = _("market holds")

    def __str__(self) -> str:
        return f"{self.market} hold on listing {self.listing_id}"
