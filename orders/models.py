"""JIT pre-sale orders, their penalties and appeals (SPEC, "JIT pre-sale orders")."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.formatting import money
from marketplace.states import Machine

from .rules import rules


class JitOrder(models.Model):
    """A consumer bought a JIT item no warehouse holds: the supplier ships it to the JIT
    warehouse by SF Express within 24 hours of `ordered_at`."""

    class Status(models.TextChoices):
        AWAITING_SHIPMENT = "awaiting_shipment", _("Awaiting shipment")
        SHIPPED = "shipped", _("Shipped")
        RECEIVED = "received", _("Received")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED_QUALITY = "rejected_quality", _("Rejected for quality")
        FAILED_STOCKOUT = "failed_stockout", _("Failed: stockout")
        CANCELLED = "cancelled", _("Cancelled")

    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.PROTECT,
        related_name="jit_orders",
        verbose_name=_("listing"),
    )
    # Denormalised from the listing: every supplier-scoped read and the sweep use it.
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="jit_orders",
        verbose_name=_("supplier"),
        db_index=False,  # jit_order_supplier_queue leads with it
    )
    external_id = models.CharField(_("storefront order"), max_length=64)
    # Who placed it (the storefront's API client user, or an operator): the one that may cancel
    # it through the API. No index: it is only read together with the order's id.
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("placed by"),
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    # Frozen when the order is made: later price changes do not touch it.
    unit_supply_price = models.DecimalField(
        _("unit supply price (CNY)"), max_digits=12, decimal_places=2
    )
    goods_value = models.DecimalField(_("goods value (CNY)"), max_digits=14, decimal_places=2)
    # Indexed with the id (jit_order_by_time): the admin's list pages in that order.
    ordered_at = models.DateTimeField(_("ordered"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.AWAITING_SHIPMENT
    )
    waybill = models.CharField(_("SF Express waybill"), max_length=20, blank=True)
    # The time of shipment is the carrier's first scan when known, else when the supplier
    # recorded the shipment (SPEC).
    shipment_recorded_at = models.DateTimeField(_("shipment recorded"), null=True, blank=True)
    first_scan_at = models.DateTimeField(_("carrier's first scan"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    received_quantity = models.PositiveIntegerField(_("received quantity"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    defect_notes = models.TextField(_("defect notes"), blank=True)
    stockout_declared_at = models.DateTimeField(_("stockout declared"), null=True, blank=True)
    stockout_reason = models.CharField(_("stockout reason"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    # What the sweep has done, written back on the row in the same transaction as its outcome,
    # so a re-run finds nothing left to do with plain column conditions.
    late_24h_penalized = models.BooleanField(default=False, editable=False)
    late_48h_penalized = models.BooleanField(default=False, editable=False)
    quality_penalized = models.BooleanField(default=False, editable=False)
    stockout_penalized = models.BooleanField(default=False, editable=False)
    penalty_total = models.DecimalField(
        _("penalties so far (CNY)"), max_digits=14, decimal_places=2, default=0, editable=False
    )
    reminded_18h_at = models.DateTimeField(
        _("reminded (18 h)"), null=True, blank=True, editable=False
    )
    reminded_23h_at = models.DateTimeField(
        _("reminded (23 h)"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["ordered_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="jit_quantity_positive"),
            models.CheckConstraint(condition=Q(goods_value__gt=0), name="jit_goods_value_positive"),
        ]
        indexes = [
            # The sweep's candidates: orders still open to a penalty, by age.
            models.Index(
                fields=["ordered_at"],
                condition=Q(
                    status__in=[
                        "awaiting_shipment",
                        "shipped",
                        "received",
                        "rejected_quality",
                        "failed_stockout",
                    ]
                ),
                name="jit_order_sweepable",
            ),
            models.Index(
                fields=["supplier", "status", "ordered_at"], name="jit_order_supplier_queue"
            ),
            # The admin's list in its default order, all orders or one status: a deep page
            # skips index entries only (marketplace.paginator.KeysFirstPaginator), and its
            # count is an index-only scan.
            models.Index(fields=["ordered_at", "id"], name="jit_order_by_time"),
            models.Index(fields=["status", "ordered_at", "id"], name="jit_order_status_time"),
        ]
        verbose_name = _("JIT order")
        verbose_name_plural = _("JIT orders")

    def __str__(self) -> str:
        return gettext("JIT order #%(id)s (%(n)s x listing %(listing)s)") % {
            "id": self.pk,
            "n": self.quantity,
            "listing": self.listing_id,
        }

    @property
    def deadline_24h(self) -> datetime:
        """Shipped (first scan, else recorded) after this, the order is late (SPEC)."""
        return self.ordered_at + rules().ship_within

    @property
    def deadline_48h(self) -> datetime:
        """Shipped after this, the order is very late (5 x goods value in all)."""
        return self.ordered_at + rules().late_after

    @property
    def shipped_at(self) -> datetime | None:
        return self.first_scan_at or self.shipment_recorded_at


# SPEC, "JIT pre-sale orders": awaiting_shipment → shipped → received → accepted or
# rejected_quality; awaiting_shipment → failed_stockout (the supplier declares it, or 72 hours
# pass unshipped: the sweep moves those set-based, from JIT_ORDER_MACHINE.sources); cancelled by
# the consumer before shipment. SPEC, "Late evidence": an order failed for 72 h unshipped may
# still ship; one the supplier declared a stockout stays failed (order_ship's check).
JIT_ORDER_MACHINE = Machine(
    JitOrder,
    {
        "awaiting_shipment": {"shipped", "failed_stockout", "cancelled"},
        "shipped": {"received"},
        "received": {"accepted", "rejected_quality"},
        "failed_stockout": {"shipped"},
        "accepted": set(),
        "rejected_quality": set(),
        "cancelled": set(),
    },
    event="order.{to}",
)


class JitOrderTally(models.Model):
    """Per supplier and hour of deadline (UTC): the JIT orders due then, cancelled ones aside,
    and how many of them were not shipped by their deadline. The operator dashboard sums these
    rows instead of counting a month of orders. Kept by orders.tally in the transaction of every
    change to an order's share (creation, shipment, first scan, cancellation); an order's share
    is a function of its row alone, so the rows always equal a recount (`tally_recount`)."""

    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # read by hour; the unique constraint leads with the hour
    )
    due_hour = models.DateTimeField()
    orders = models.IntegerField(default=0)
    late = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["due_hour", "supplier"], name="one_jit_tally_per_hour"),
            # A delta applied twice, or to the wrong row, fails loudly instead of drifting.
            models.CheckConstraint(
                condition=Q(late__gte=0, orders__gte=models.F("late")),
                name="jit_tally_counts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_id} {self.due_hour:%Y-%m-%d %H:00}: {self.late}/{self.orders} late"


class Penalty(models.Model):
    """A penalty on one JIT order for one tier of the SPEC table: exists once per order and
    tier (a unique constraint), with the rule, its version and the evidence it came from."""

    class Tier(models.TextChoices):
        # Names of the tiers; what happened in a given case (shipped late, or not shipped at all)
        # is worded from the penalty's evidence (portal.wording.penalty_case).
        LATE_24H = "late_24h", _("Late (24 h)")
        LATE_48H = "late_48h", _("Very late (48 h)")
        QUALITY = "quality", _("Quality rejection")
        STOCKOUT = "stockout", _("Stockout")

    class Status(models.TextChoices):
        ASSESSED = "assessed", _("Assessed")
        APPEALED = "appealed", _("Appealed")
        UPHELD = "upheld", _("Upheld")
        WAIVED = "waived", _("Waived")
        # The carrier's first scan, arriving after the sweep, showed shipment in time for
        # this tier: the penalty was given back automatically.
        REVERSED = "reversed", _("Reversed")

    # Both looked up through the composite indexes below, which lead with them.
    order = models.ForeignKey(
        JitOrder,
        on_delete=models.PROTECT,
        related_name="penalties",
        db_index=False,
        verbose_name=_("order"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="penalties",
        db_index=False,
        verbose_name=_("supplier"),
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    # What the rule asked (a multiple of goods value) and what was taken after the 5x cap.
    multiple = models.DecimalField(_("multiple of goods value"), max_digits=4, decimal_places=2)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    rule_version = models.CharField(_("rule version"), max_length=20)
    evidence = models.JSONField(_("evidence"), default=dict)
    assessed_at = models.DateTimeField(_("assessed"), default=timezone.now)
    ledger_entry = models.OneToOneField(
        "suppliers.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ledger entry"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ASSESSED
    )
    reversed_at = models.DateTimeField(_("reversed"), null=True, blank=True)
    # A database default too: the sweep and the benchmark insert penalties in SQL.
    reversal_reason = models.CharField(_("why reversed"), max_length=300, blank=True, db_default="")

    class Meta:
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "tier"], name="one_penalty_per_order_tier"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="penalty_amount_not_negative"),
        ]
        indexes = [
            models.Index(fields=["supplier", "-assessed_at"], name="penalty_supplier_recent"),
            # The operators' penalties-per-day chart over the last 30 days: count and sum
            # read from the index alone.
            models.Index(
                fields=["assessed_at"], include=["amount"], name="penalty_assessed_amount"
            ),
        ]
        verbose_name = _("penalty")
        verbose_name_plural = _("penalties")

    def __str__(self) -> str:
        return gettext("%(tier)s: %(amount)s (order #%(order)s)") % {
            "tier": self.get_tier_display(),
            "amount": money(self.amount),
            "order": self.order_id,
        }

    def may_be_appealed(self, now: datetime | None = None) -> bool:
        """Assessed (not yet appealed, decided or reversed) and within the appeal window."""
        return self.status == self.Status.ASSESSED and (now or timezone.now()) <= self.appeal_until

    @property
    def appeal_until(self) -> datetime:
        """The end of the appeal window (`appeal_days` after assessment): the service refuses an
        appeal after it; the portal and the API show it."""
        return self.assessed_at + timedelta(days=rules().appeal_days)


# SPEC, "Appeals": the supplier appeals a penalty, an operator upholds or waives it. SPEC, "Late
# evidence": a first scan that escapes the penalty's tier reverses it while it still stands
# (assessed, appealed or upheld; orders.services.reversals).
PENALTY_MACHINE = Machine(
    Penalty,
    {
        "assessed": {"appealed", "reversed"},
        "appealed": {"upheld", "waived", "reversed"},
        "upheld": {"reversed"},
        "waived": set(),
        "reversed": set(),
    },
    event="order.penalty_{to}",
)


class Appeal(models.Model):
    class Decision(models.TextChoices):
        UPHELD = "upheld", _("Upheld")
        WAIVED = "waived", _("Waived")

    penalty = models.OneToOneField(
        Penalty, on_delete=models.PROTECT, related_name="appeal", verbose_name=_("penalty")
    )
    reason = models.TextField(_("reason"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return gettext("Appeal of penalty #%(id)s") % {"id": self.penalty_id}


class AppealAttachment(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to="appeals/%Y/%m/")

    class Meta:
        verbose_name = _("appeal attachment")
        verbose_name_plural = _("appeal attachments")

    def __str__(self) -> str:
        return self.file.name


class IdempotencyKey(models.Model):
    """A storefront's Idempotency-Key: the same key and body get the original response."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_client")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_age")]

    def __str__(self) -> str:
        return self.key


class InspectionPhoto(models.Model):
    """A photo the JIT warehouse takes of defects when it rejects goods for quality."""

    order = models.ForeignKey(JitOrder, on_delete=models.CASCADE, related_name="inspection_photos")
    image = models.ImageField(_("photo"), upload_to="inspections/%Y/%m/")
    taken_at = models.DateTimeField(_("taken"), default=timezone.now)

    class Meta:
        ordering = ["order", "taken_at"]
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")

    def __str__(self) -> str:
        return self.image.name


class ConsumerOrder(models.Model):
    """A storefront's order on a fully-managed listing, fulfilled from consignment stock. It
    reserves stock when made; fulfilment turns the reservation into a sale (ownership passes to
    the platform) and records the payable to the supplier at the frozen supply price."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("Reserved")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    listing = models.ForeignKey(
        "catalogue.Listing",
        on_delete=models.PROTECT,
        related_name="consumer_orders",
        verbose_name=_("listing"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="consumer_orders",
        verbose_name=_("supplier"),
    )
    # The platform warehouse it is reserved in; none for a semi-managed order (the seller's own
    # overseas stock, catalogue.OverseasStock).
    warehouse = models.ForeignKey(
        "logistics.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    external_id = models.CharField(_("storefront order"), max_length=64)
    # The API client's user that placed it: a storefront's order reference is unique per client.
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # one_consumer_order_per_reference leads with it
        verbose_name=_("placed by"),
    )
    market = models.CharField(_("market"), max_length=2)
    # Where the consumer lives (ISO 3166 alpha-2): the parcel's destination country.
    country = models.CharField(_("country"), max_length=2, blank=True, db_default="")
    quantity = models.PositiveIntegerField(_("quantity"))
    # The retail price the consumer paid, frozen at the order (the market's currency): the
    # parcel's declared value and the returns' refunds come from it.
    unit_price = models.DecimalField(
        _("unit price"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True, db_default="")
    unit_supply_price = models.DecimalField(
        _("unit supply price (CNY)"), max_digits=12, decimal_places=2
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RESERVED
    )
    ordered_at = models.DateTimeField(_("ordered"), default=timezone.now)
    fulfilled_at = models.DateTimeField(_("fulfilled"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="consumer_quantity_positive"),
            models.UniqueConstraint(
                fields=["placed_by", "external_id"], name="one_consumer_order_per_reference"
            ),
        ]
        indexes = [models.Index(fields=["supplier", "-ordered_at"], name="consumer_order_supplier")]
        verbose_name = _("consumer order")
        verbose_name_plural = _("consumer orders")

    def __str__(self) -> str:
        return gettext("Consumer order #%(id)s (%(n)s x listing %(listing)s)") % {
            "id": self.pk,
            "n": self.quantity,
            "listing": self.listing_id,
        }


# SPEC, "Consignment inventory and logistics": an order reserves stock; fulfilment is the sale
# (ownership passes, the payable is recorded); cancelled before fulfilment, the reservation is
# released.
CONSUMER_ORDER_MACHINE = Machine(
    ConsumerOrder,
    {
        "reserved": {"fulfilled", "cancelled"},
        "fulfilled": set(),
        "cancelled": set(),
    },
    event="consumer_order.{to}",
)


class Payable(models.Model):
    """What the platform owes a supplier for consignment stock sold: quantity x the supply price
    frozen on the consumer order, recorded at the moment of sale."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PAID = "paid", _("Paid")

    order = models.OneToOneField(
        ConsumerOrder,
        on_delete=models.PROTECT,
        related_name="payable",
        verbose_name=_("consumer order"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="payables",
        db_index=False,
        verbose_name=_("supplier"),
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="open")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payable_amount_positive")
        ]
        indexes = [models.Index(fields=["supplier", "-recorded_at"], name="payable_supplier")]
        verbose_name = _("payable")
        verbose_name_plural = _("payables")

    def __str__(self) -> str:
        return gettext("Payable %(amount)s for order #%(order)s") % {
            "amount": money(self.amount),
            "order": self.order_id,
        }
