"""Random sampling of live listings (SPEC, "Random sampling"): a daily draw picks listings for a
test purchase, weighted by risk, within a monthly testing budget. The draw keeps its seed and
every candidate's weight, so it can be replayed and explained."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.states import Machine


class SamplingDraw(models.Model):
    drawn_on = models.DateField(_("day"), unique=True)
    seed = models.BigIntegerField(_("seed"))
    budget_cny = models.DecimalField(
        _("budget left this month (CNY)"), max_digits=14, decimal_places=2
    )
    spent_cny = models.DecimalField(
        _("spent by this draw (CNY)"), max_digits=14, decimal_places=2, default=0
    )
    # What this day's draw could spend: the month's budget spread pro rata over its days, less
    # what the month's earlier draws committed (unspent days roll over).
    allowance_cny = models.DecimalField(
        _("allowed today (CNY)"), max_digits=14, decimal_places=2, default=0
    )
    candidates = models.PositiveIntegerField(_("candidates"), default=0)
    # Every candidate's weight and its factors, and what the draw made of it (see
    # logistics/services/test_purchases.py): {"<listing id>": {"weight": …, "factors": {…}, …}}.
    weights = models.JSONField(_("weights"), default=dict, blank=True)
    created_at = models.DateTimeField(_("drawn"), default=timezone.now)

    class Meta:
        ordering = ["-drawn_on"]
        verbose_name = _("sampling draw")
        verbose_name_plural = _("sampling draws")

    def __str__(self) -> str:
        return f"Draw {self.drawn_on}"


class SamplingRequest(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        UNITS_PULLED = "units_pulled", _("Units pulled")
        SENT_TO_LAB = "sent_to_lab", _("Sent to lab")
        RESULT_RECORDED = "result_recorded", _("Result recorded")
        CANCELLED = "cancelled", _("Cancelled")

    draw = models.ForeignKey(
        SamplingDraw, on_delete=models.PROTECT, null=True, blank=True, related_name="requests"
    )
    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.PROTECT,
        related_name="sampling_requests",
        verbose_name=_("listing"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="sampling_requests",
        verbose_name=_("supplier"),
    )
    standards = models.ManyToManyField("compliance.Standard", related_name="+")
    weight = models.DecimalField(_("weight"), max_digits=12, decimal_places=6)
    # The factors behind the weight, as the draw computed them (shown to the officer).
    factors = models.JSONField(_("why"), default=dict, blank=True)
    cost_cny = models.DecimalField(_("test cost (CNY)"), max_digits=12, decimal_places=2)
    units = models.PositiveIntegerField(_("units"), default=1)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    lab = models.ForeignKey(
        "compliance.Lab", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Units pulled: a write-off of kind "sample" from consignment stock (fully managed), or a
    # test purchase from the seller (semi managed), with its order reference and amount.
    units_pulled_at = models.DateTimeField(_("units pulled"), null=True, blank=True)
    stock_movement = models.ForeignKey(
        "logistics.StockMovement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("stock movement"),
    )
    purchase_reference = models.CharField(_("purchase reference"), max_length=100, blank=True)
    purchase_amount_cny = models.DecimalField(
        _("purchase amount (CNY)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    sent_to_lab_on = models.DateField(_("sent to lab"), null=True, blank=True)
    cancel_reason = models.CharField(_("why cancelled"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A listing is sampled once at a time: the draw skips listings with an open request,
            # and this holds it against a race.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(status__in=["planned", "units_pulled", "sent_to_lab"]),
                name="one_open_sampling_request",
            ),
            models.CheckConstraint(
                condition=Q(purchase_amount_cny__isnull=True) | Q(purchase_amount_cny__gte=0),
                name="sampling_purchase_not_negative",
            ),
        ]
        verbose_name = _("sampling request")
        verbose_name_plural = _("sampling requests")

    def __str__(self) -> str:
        return f"Sample {self.pk} of listing {self.listing_id}"

    @property
    def announced_supplier_id(self) -> int | None:
        """The supplier its events name (and so notify): none while it is planned, nor when it
        is cancelled (only a planned request can be): a test purchase is not announced to the
        seller before its units are pulled."""
        if self.status in (self.Status.PLANNED, self.Status.CANCELLED):
            return None
        return self.supplier_id


SAMPLING_REQUEST_MACHINE = Machine(
    SamplingRequest,
    {
        "planned": {"units_pulled", "cancelled"},
        "units_pulled": {"sent_to_lab"},
        "sent_to_lab": {"result_recorded"},
        "result_recorded": set(),
        "cancelled": set(),
    },
    event="compliance.sampling_{to}",
    stamped="status_changed_at",
    supplier="announced_supplier_id",
)
