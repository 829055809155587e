"""Demand-driven restock (SPEC, "Demand-driven restock"): the storefront's demand signals, each
fully-managed listing's forecast, and the restock proposals made from them, with the chunks of
the planning job that several workers share.

A proposal keeps every term of its arithmetic, so the operator and the supplier see why it asks
for what it asks:

    need = demand over the replenishment time + safety stock
           - (available + inbound in transit + open stocking orders + other open proposals)
    quantity = need rounded up to the case pack, within the stocking cap (0: no proposal)
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.markets import Market
from marketplace.states import Machine


class DemandSignal(models.Model):
    """What the storefront saw of one listing in one market on one day (China's date), posted in
    bulk; posting the same listing, market and day again replaces the row. `platform_units` is
    the platform's own consumer orders of that day, rolled up by the planning job; a day's demand
    is the larger of the storefront's `units_ordered` and `platform_units` (both count the same
    sales when both know them)."""

    # No index of its own: the unique index (listing, day, market) starts with it.
    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.CASCADE,
        related_name="demand_signals",
        db_index=False,
    )
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("views"), default=0)
    add_to_carts = models.PositiveIntegerField(_("add-to-carts"), default=0)
    units_ordered = models.PositiveIntegerField(_("units ordered"), default=0)
    platform_units = models.PositiveIntegerField(_("units ordered on the platform"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["listing", "-day", "market"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "day", "market"], name="one_signal_per_listing_day_market"
            )
        ]
        verbose_name = _("demand signal")
        verbose_name_plural = _("demand signals")

    def __str__(self) -> str:
        return f"{self.listing_id} {self.market} {self.day}"


class DemandPattern(models.TextChoices):
    """Syntetos-Boylan-Croston classes, from the average interval between demands (ADI) and the
    squared coefficient of variation of the non-zero demands (CV2)."""

    SMOOTH = "smooth", _("Smooth")
    ERRATIC = "erratic", _("Erratic")
    INTERMITTENT = "intermittent", _("Intermittent")
    LUMPY = "lumpy", _("Lumpy")
    NONE = "none", _("No demand")


class Forecast(models.Model):
    """A listing's latest daily demand forecast: the method chosen for its demand pattern, the
    horizon, and its backtest error (MASE over the last RESTOCK_BACKTEST_DAYS against a
    seasonal-naive forecast; None with too little history). Replaced by each planning run."""

    listing = models.OneToOneField(
        "catalogue.Listing", on_delete=models.CASCADE, related_name="forecast"
    )
    run = models.ForeignKey(
        "marketplace.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    made_at = models.DateTimeField(_("made"), default=timezone.now)
    pattern = models.CharField(_("demand pattern"), max_length=12, choices=DemandPattern.choices)
    method = models.CharField(_("method"), max_length=40)
    fallback = models.BooleanField(
        _("fallback"), default=False, help_text=_("The pattern's model could not fit this series.")
    )
    horizon_days = models.PositiveSmallIntegerField(_("horizon (days)"))
    daily = models.JSONField(_("daily forecast"), default=list)
    mean_daily = models.DecimalField(_("mean daily demand"), max_digits=12, decimal_places=3)
    mase = models.DecimalField(_("MASE"), max_digits=10, decimal_places=3, null=True, blank=True)
    adi = models.DecimalField(_("ADI"), max_digits=8, decimal_places=2, null=True, blank=True)
    cv2 = models.DecimalField(_("CV²"), max_digits=8, decimal_places=3, null=True, blank=True)
    rate_7d = models.DecimalField(_("7-day order rate"), max_digits=12, decimal_places=3)
    rate_28d = models.DecimalField(_("previous 28-day order rate"), max_digits=12, decimal_places=3)
    trending = models.BooleanField(_("trending"), default=False)
    last_order_day = models.DateField(_("last order"), null=True, blank=True)

    class Meta:
        ordering = ["listing"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")

    def __str__(self) -> str:
        return f"{self.listing_id} {self.method} ({self.horizon_days} d)"


class RestockProposal(models.Model):
    """A proposed stocking order for one fully-managed listing. At most one is open a listing:
    each planning run updates it instead of proposing again. The supplier confirms (quantity
    within the cap, ship date) or declines with a reason; an operator may issue it directly;
    it expires RESTOCK_PROPOSAL_DAYS after it was last proposed, or is withdrawn when a run finds
    no need any more. Snoozed, it is left alone (not updated, not expired) until the day after
    `snoozed_until`."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONFIRMED = "confirmed", _("Confirmed")
        ISSUED = "issued", _("Issued by an operator")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.PROTECT, related_name="restock_proposals"
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="restock_proposals"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    urgent = models.BooleanField(
        _("urgent"), default=False, help_text=_("Trending: issued as an urgent stocking order.")
    )
    quantity = models.PositiveIntegerField(_("proposed quantity"))
    run = models.ForeignKey(
        "marketplace.JobRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)

    # The arithmetic, every term kept.
    method = models.CharField(_("forecast method"), max_length=40)
    mean_daily = models.DecimalField(_("mean daily demand"), max_digits=12, decimal_places=3)
    confirm_days = models.PositiveSmallIntegerField(_("confirmation window (days)"))
    production_days = models.PositiveSmallIntegerField(_("production lead time (days)"))
    transit_days = models.PositiveSmallIntegerField(_("transit (days)"))
    receiving_days = models.PositiveSmallIntegerField(_("receiving and inspection (days)"))
    demand_over_lead = models.DecimalField(
        _("demand over the replenishment time"), max_digits=14, decimal_places=3
    )
    service_level = models.DecimalField(_("service level"), max_digits=5, decimal_places=4)
    safety_stock = models.DecimalField(_("safety stock"), max_digits=14, decimal_places=3)
    safety_method = models.CharField(_("safety stock method"), max_length=200)
    available = models.IntegerField(_("available"))
    inbound = models.IntegerField(_("inbound in transit"))
    open_orders = models.IntegerField(_("open stocking orders"))
    open_proposals = models.IntegerField(_("other open proposals"), default=0)
    need = models.DecimalField(_("need"), max_digits=14, decimal_places=3)
    case_pack = models.PositiveIntegerField(_("case pack"))
    cap = models.PositiveIntegerField(_("stocking cap"), null=True, blank=True)

    # The decision.
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decline_reason = models.CharField(_("decline reason"), max_length=300, blank=True)
    ship_by = models.DateField(_("ship by"), null=True, blank=True)
    stocking_order = models.OneToOneField(
        "logistics.StockingOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="restock_proposal",
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            # The planning run's "exactly once": a retried or repeated chunk updates the open
            # proposal, never adds a second one.
            models.UniqueConstraint(
                fields=["listing"], condition=Q(status="open"), name="one_open_proposal_a_listing"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="proposal_quantity_positive"),
        ]
        indexes = [
            models.Index(fields=["supplier", "status", "-proposed_at"], name="proposal_supplier"),
            models.Index(
                fields=["expires_at"], condition=Q(status="open"), name="proposal_open_expiry"
            ),
        ]
        verbose_name = _("restock proposal")
        verbose_name_plural = _("restock proposals")

    def __str__(self) -> str:
        return str(
            _("Restock proposal #%(id)s: %(n)s units of listing #%(listing)s")
            % {"id": self.pk, "n": self.quantity, "listing": self.listing_id}
        )


RESTOCK_PROPOSAL_MACHINE = Machine(
    RestockProposal,
    {
        "open": {"confirmed", "issued", "declined", "expired", "withdrawn"},
        "confirmed": set(),
        "issued": set(),
        "declined": set(),
        "expired": set(),
        "withdrawn": set(),
    },
    event="restock_proposal.{to}",
)


class PlanChunk(models.Model):
    """One slice of a planning run (a JobRun named "restock_plan"): the fully-managed listings
    with ids in [first_listing, last_listing]. Workers take chunks in parallel; a chunk is done
    once (`done_at`), however many times its message is delivered; the run finishes when its
    last chunk is done."""

    run = models.ForeignKey("marketplace.JobRun", on_delete=models.CASCADE, related_name="+")
    index = models.PositiveIntegerField(_("chunk"))
    first_listing = models.BigIntegerField(_("first listing id"))
    last_listing = models.BigIntegerField(_("last listing id"))
    listings = models.PositiveIntegerField(_("listings"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    proposals = models.PositiveIntegerField(_("open proposals"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="one_chunk_per_run_index")
        ]
        indexes = [
            models.Index(fields=["run"], condition=Q(done_at__isnull=True), name="chunk_pending")
        ]
        verbose_name = _("planning chunk")
        verbose_name_plural = _("planning chunks")

    def __str__(self) -> str:
        return f"{self.run_id}/{self.index}"
