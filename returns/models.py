"""Consumer returns, refunds, chargebacks and the return-rate feedback (SPEC, "Returns" and
"Listings: return-rate feedback").

A return is opened by the storefront for items of a delivered parcel, within the return window.
What happens to the goods (each line's disposition) is recorded apart from the money given back
(the refund). An item worth less than the refund-only threshold is refunded with no return
shipment; others travel to the market's return centre, where they are inspected: a defective
item is charged back to the supplier (a ledger entry it may appeal), a sound one is restocked."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from marketplace.markets import Market
from marketplace.states import Machine


class ReturnReason(models.Model):
    """Why a consumer sends an item back; an editable list. `counts_as_defect` reasons make the
    listing's return rate (SPEC: defective or not as described)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_zh = models.CharField(_("label (Chinese)"), max_length=100)
    counts_as_defect = models.BooleanField(_("counts toward the return rate"), default=False)
    requires_note = models.BooleanField(_("requires a note"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("return reason")
        verbose_name_plural = _("return reasons")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if (get_language() or "").startswith("zh") and self.label_zh:
            return self.label_zh
        return self.label_en


class ReturnRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    class DeclineReason(models.TextChoices):
        WINDOW_ENDED = "window_ended", _("The return window has ended")
        FINAL_SALE = "final_sale", _("Final sale")
        OTHER = "other", _("Other")

    parcel = models.ForeignKey(
        "shipping.Parcel",
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("parcel"),
    )
    order = models.ForeignKey(
        "orders.ConsumerOrder",
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("consumer order"),
    )
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.PROTECT, related_name="+", verbose_name=_("listing")
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="returns",
        db_index=False,  # return_supplier leads with it
        verbose_name=_("supplier"),
    )
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    # The storefront's own id of the return, unique per client (like its orders').
    external_id = models.CharField(_("storefront return"), max_length=64)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("placed by"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED
    )
    # Under the refund-only threshold (USD 10): refunded, nothing travels back.
    refund_only = models.BooleanField(_("refund only"), default=False)
    return_centre = models.ForeignKey(
        "logistics.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return centre"),
    )
    decline_reason = models.CharField(
        _("declined because"), max_length=20, choices=DeclineReason.choices, blank=True
    )
    decline_note = models.CharField(_("note"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["placed_by", "external_id"], name="one_return_per_reference"
            ),
        ]
        indexes = [
            models.Index(fields=["supplier", "-requested_at"], name="return_supplier"),
            models.Index(fields=["listing", "requested_at"], name="return_listing"),
        ]
        verbose_name = _("return")
        verbose_name_plural = _("returns")

    def __str__(self) -> str:
        return gettext("Return #%(id)s") % {"id": self.pk}


# SPEC, "Returns": requested → open → closed, or declined (with a reason) or cancelled.
RETURN_MACHINE = Machine(
    ReturnRequest,
    {
        "requested": {"open", "declined", "cancelled"},
        "open": {"closed", "cancelled"},
        "closed": set(),
        "declined": set(),
        "cancelled": set(),
    },
    event={
        "open": "return.opened",
        "declined": "return.declined",
        "cancelled": "return.cancelled",
        "closed": "return.closed",
    },
    stamped="status_changed_at",
)


class ReturnLine(models.Model):
    """Units of one parcel item sent back for one reason, and what became of them: each unit
    ends restocked, not restocked or missing (recorded at the return centre)."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(
        "shipping.ParcelItem",
        on_delete=models.PROTECT,
        related_name="return_lines",
        verbose_name=_("parcel item"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.ForeignKey(
        ReturnReason, on_delete=models.PROTECT, related_name="+", verbose_name=_("reason")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # In the parcel's currency, and in USD at the day's rate (the refund-only rule).
    unit_value = models.DecimalField(_("unit value"), max_digits=12, decimal_places=2)
    unit_value_usd = models.DecimalField(_("unit value (USD)"), max_digits=12, decimal_places=2)
    # Inspection at the return centre.
    received = models.PositiveIntegerField(_("units received"), default=0)
    defective = models.PositiveIntegerField(_("defective"), default=0)
    # Dispositions: every unit of the line ends in one of them.
    restocked = models.PositiveIntegerField(_("restocked"), default=0)
    not_restocked = models.PositiveIntegerField(_("not restocked"), default=0)
    missing = models.PositiveIntegerField(_("missing"), default=0)
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inspected by"),
    )

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="return_line_quantity_ok"),
            models.CheckConstraint(
                condition=Q(received__lte=F("quantity")), name="return_line_received_ok"
            ),
            models.CheckConstraint(
                condition=Q(defective__lte=F("received")), name="return_line_defective_ok"
            ),
            models.CheckConstraint(
                condition=Q(
                    restocked__lte=F("quantity") - F("not_restocked") - F("missing"),
                ),
                name="return_line_dispositions_ok",
            ),
        ]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.item.description}"


class Refund(models.Model):
    """The money the consumer gets back, apart from what happens to the goods."""

    request = models.OneToOneField(
        ReturnRequest, on_delete=models.PROTECT, related_name="refund", verbose_name=_("return")
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    # The return lines it covers and their quantities: {line id: units}.
    lines = models.JSONField(_("lines"), default=dict)
    shipping_included = models.BooleanField(_("shipping included"), default=False)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_ok"),
        ]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


class Chargeback(models.Model):
    """Defective returned units charged to the supplier: supply price + handling fee, posted as
    a `chargeback` ledger entry; the supplier may appeal within CHARGEBACK_APPEAL_DAYS, and an
    upheld appeal posts a reversal."""

    class Status(models.TextChoices):
        STANDING = "standing", _("Standing")
        APPEALED = "appealed", _("Appealed")
        UPHELD = "upheld", _("Appeal upheld (reversed)")
        DISMISSED = "dismissed", _("Appeal dismissed")

    line = models.OneToOneField(
        ReturnLine, on_delete=models.PROTECT, related_name="chargeback", verbose_name=_("line")
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="chargebacks",
        db_index=False,
        verbose_name=_("supplier"),
    )
    units = models.PositiveIntegerField(_("units"))
    unit_supply_price = models.DecimalField(
        _("unit supply price (CNY)"), max_digits=12, decimal_places=2
    )
    handling_fee = models.DecimalField(_("handling fee (CNY)"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    entry = models.OneToOneField(
        "suppliers.LedgerEntry", on_delete=models.PROTECT, related_name="+", null=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.STANDING
    )
    charged_at = models.DateTimeField(_("charged"), default=timezone.now)
    appeal_text = models.TextField(_("appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    reversal = models.OneToOneField(
        "suppliers.LedgerEntry",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-charged_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="chargeback_amount_ok"),
            models.CheckConstraint(condition=Q(units__gt=0), name="chargeback_units_ok"),
        ]
        indexes = [models.Index(fields=["supplier", "-charged_at"], name="chargeback_supplier")]
        verbose_name = _("chargeback")
        verbose_name_plural = _("chargebacks")

    def __str__(self) -> str:
        return gettext("Chargeback #%(id)s") % {"id": self.pk}

    @property
    def appeal_until(self) -> datetime:
        """The supplier may appeal until then (CHARGEBACK_APPEAL_DAYS after the charge)."""
        return self.charged_at + timedelta(days=settings.CHARGEBACK_APPEAL_DAYS)


CHARGEBACK_MACHINE = Machine(
    Chargeback,
    {
        "standing": {"appealed"},
        "appealed": {"upheld", "dismissed"},
        "upheld": set(),
        "dismissed": set(),
    },
    event="chargeback.{to}",
)


class ReturnRateBreach(models.Model):
    """A listing's 30-day return rate over a threshold (SPEC): a warning over 8%, a pause and a
    fine over 15%, each once per breach. The breach ends when the rate falls back; a new one may
    then be opened. Fines are appealable."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")
        PAUSE = "pause", _("Paused and fined")

    class Appeal(models.TextChoices):
        NONE = "", _("Not appealed")
        PENDING = "pending", _("Appealed")
        UPHELD = "upheld", _("Appeal upheld (fine reversed)")
        DISMISSED = "dismissed", _("Appeal dismissed")

    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.PROTECT,
        related_name="return_breaches",
        verbose_name=_("listing"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="return_breaches",
        db_index=False,
        verbose_name=_("supplier"),
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    window_start = models.DateTimeField(_("window from"))
    window_end = models.DateTimeField(_("window to"))
    units_sold = models.PositiveIntegerField(_("units sold"))
    units_returned = models.PositiveIntegerField(_("units returned (defect)"))
    rate = models.DecimalField(_("return rate"), max_digits=7, decimal_places=4)
    fine = models.OneToOneField(
        "suppliers.LedgerEntry", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    appeal = models.CharField(
        _("appeal"), max_length=10, choices=Appeal.choices, blank=True, default=Appeal.NONE
    )
    appeal_text = models.TextField(_("appeal text"), blank=True)
    appealed_at = models.DateTimeField(_("appealed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    reversal = models.OneToOneField(
        "suppliers.LedgerEntry", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "level"],
                condition=Q(ended_at__isnull=True),
                name="one_open_breach_per_listing_level",
            ),
        ]
        indexes = [models.Index(fields=["supplier", "-detected_at"], name="breach_supplier")]
        verbose_name = _("return-rate breach")
        verbose_name_plural = _("return-rate breaches")

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.rate:.1%})"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None

    @property
    def appeal_until(self) -> datetime:
        """The fine may be appealed for RETURN_RATE_APPEAL_DAYS after the breach was found."""
        return self.detected_at + timedelta(days=settings.RETURN_RATE_APPEAL_DAYS)

    @property
    def appealable(self) -> bool:
        return (
            self.fine_id is not None
            and self.appeal == self.Appeal.NONE
            and timezone.now() <= self.appeal_until
        )


# A breach's fine: appealed by the supplier (within RETURN_RATE_APPEAL_DAYS), then upheld (the
# fine reversed) or dismissed by an operator. The breach itself (open or ended) is the job's.
BREACH_APPEAL_MACHINE = Machine(
    ReturnRateBreach,
    {
        "": {"pending"},
        "pending": {"upheld", "dismissed"},
        "upheld": set(),
        "dismissed": set(),
    },
    event={
        "pending": "return_rate.appealed",
        "upheld": "return_rate.upheld",
        "dismissed": "return_rate.dismissed",
    },
    field="appeal",
)
