"""Consignment inventory (SPEC, "Consignment inventory and logistics"): warehouses, stocking
orders, inbound shipments and circular pickups, receiving and ISO 2859-1 inspection, the stock
ledger with its maintained positions, and overstock offers.

Accepted stock belongs to the supplier while it sits in the platform's warehouse; ownership
passes to the platform when a consumer's order is fulfilled from it (orders.ConsumerOrder), and
that sale records a payable to the supplier.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from catalogue.models import Market
from marketplace.states import Machine


class Warehouse(models.Model):
    class Kind(models.TextChoices):
        HUB = "hub", _("Platform hub (China)")
        OVERSEAS = "overseas", _("Overseas warehouse")
        RETURN_CENTRE = "return_centre", _("Return centre")
        BONDED = "bonded", _("Bonded warehouse")

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    # Suppliers read the portal in Chinese: the warehouse's name as they know it.
    name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    market = models.CharField(
        _("market"), max_length=2, choices=Market.choices, blank=True, help_text=_("Blank: China.")
    )
    address = models.CharField(_("address"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """The name in the active language (the Chinese name when there is one)."""
        if self.name_zh and (get_language() or "").startswith("zh"):
            return self.name_zh
        return self.name

    @property
    def is_jit(self) -> bool:
        return self.name == settings.JIT_WAREHOUSE


class PickupCluster(models.Model):
    """An industrial cluster the platform's circular pickups serve; a factory whose cluster
    matches (by name) may ask for a pickup instead of booking a carrier."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    province = models.CharField(_("province"), max_length=30)
    is_active = models.BooleanField(_("served"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("pickup cluster")
        verbose_name_plural = _("pickup clusters")

    def __str__(self) -> str:
        return self.name


class PickupSlot(models.Model):
    """A circular pickup run an operator schedules: one cluster, one day, a time window."""

    cluster = models.ForeignKey(PickupCluster, on_delete=models.PROTECT, related_name="slots")
    date = models.DateField(_("date"))
    window = models.CharField(_("time window"), max_length=40, help_text=_("e.g. 09:00-12:00"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("delivers to")
    )

    class Meta:
        ordering = ["date", "cluster"]
        constraints = [
            models.UniqueConstraint(fields=["cluster", "date", "window"], name="one_pickup_slot")
        ]
        verbose_name = _("pickup slot")
        verbose_name_plural = _("pickup slots")

    def __str__(self) -> str:
        return f"{self.cluster} {self.date} {self.window}"


class StockingOrder(models.Model):
    """The platform asks a supplier to stock a fully-managed listing in one of its warehouses."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        SHIPPED = "shipped", _("Shipped")
        LAPSED = "lapsed", _("Lapsed")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN = (Status.ISSUED, Status.ACCEPTED)

    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="stocking_orders"
    )
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.PROTECT, related_name="stocking_orders"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ISSUED
    )
    status_reason = models.CharField(_("status reason"), max_length=300, blank=True)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="stocking_quantity_positive")
        ]
        indexes = [
            models.Index(fields=["supplier", "status", "-issued_at"], name="stocking_supplier"),
            models.Index(
                fields=["expires_at"],
                condition=Q(status__in=["issued", "accepted"]),
                name="stocking_open_expiry",
            ),
        ]
        verbose_name = _("stocking order")
        verbose_name_plural = _("stocking orders")

    def __str__(self) -> str:
        return f"Stocking order #{self.pk}: {self.quantity} x listing {self.listing_id}"


# SPEC, "Consignment inventory and logistics": the platform issues a stocking order, the supplier
# accepts or declines it and answers with inbound shipments; it is shipped when the first of them
# leaves. An open order (issued or accepted) lapses unshipped at its expiry, or an operator
# cancels it.
STOCKING_ORDER_MACHINE = Machine(
    StockingOrder,
    {
        "issued": {"accepted", "declined", "lapsed", "cancelled"},
        "accepted": {"shipped", "lapsed", "cancelled"},
        "declined": set(),
        "shipped": set(),
        "lapsed": set(),
        "cancelled": set(),
    },
    event="stocking.{to}",
)


class Carrier(models.TextChoices):
    """Carriers suppliers book, stored by code and named in the reader's language."""

    SF_EXPRESS = "sf_express", _("SF Express")
    JD_LOGISTICS = "jd_logistics", _("JD Logistics")
    EMS = "ems", _("China Post EMS")
    ZTO = "zto", _("ZTO Express")
    YTO = "yto", _("YTO Express")
    STO = "sto", _("STO Express")
    YUNDA = "yunda", _("Yunda Express")
    DEPPON = "deppon", _("Deppon Express")
    OTHER = "other", _("Other carrier")


# Names integrators and earlier records use for the same carriers (compared in lower case).
_CARRIER_ALIASES = {
    "sf": Carrier.SF_EXPRESS,
    "sf express": Carrier.SF_EXPRESS,
    "顺丰": Carrier.SF_EXPRESS,
    "顺丰速运": Carrier.SF_EXPRESS,
    "jd": Carrier.JD_LOGISTICS,
    "jd logistics": Carrier.JD_LOGISTICS,
    "京东物流": Carrier.JD_LOGISTICS,
    "ems": Carrier.EMS,
    "china post ems": Carrier.EMS,
    "zto": Carrier.ZTO,
    "zto express": Carrier.ZTO,
    "yto": Carrier.YTO,
    "yto express": Carrier.YTO,
    "sto": Carrier.STO,
    "sto express": Carrier.STO,
    "yunda": Carrier.YUNDA,
    "yunda express": Carrier.YUNDA,
    "deppon": Carrier.DEPPON,
    "deppon express": Carrier.DEPPON,
}


def carrier_label(value: str) -> str:
    """A stored carrier in the reader's language: a code or a known name by its label, anything
    else as it was typed."""
    text = (value or "").strip()
    if text in Carrier.values:
        return str(Carrier(text).label)
    known = _CARRIER_ALIASES.get(text.lower())
    return str(known.label) if known is not None else text


class InboundShipment(models.Model):
    """The supplier's answer to a stocking order: an advance notice of what it sends, by a
    carrier with a waybill or by a circular pickup."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        BOOKED = "booked", _("Booked")
        IN_TRANSIT = "in_transit", _("In transit")
        ARRIVED = "arrived", _("Arrived")
        RECEIVING = "receiving", _("Receiving")
        RECEIVED = "received", _("Received")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="inbound_shipments",
        verbose_name=_("supplier"),
    )
    stocking_order = models.ForeignKey(
        StockingOrder,
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("stocking order"),
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    waybill = models.CharField(_("waybill"), max_length=40, blank=True)
    pickup_requested = models.BooleanField(_("circular pickup requested"), default=False)
    pickup_slot = models.ForeignKey(
        PickupSlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipments",
        verbose_name=_("pickup slot"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["supplier", "status", "-created_at"], name="inbound_supplier")
        ]
        verbose_name = _("inbound shipment")
        verbose_name_plural = _("inbound shipments")

    def __str__(self) -> str:
        return gettext("Inbound shipment #%(id)s") % {"id": self.pk}


# SPEC, "Consignment inventory and logistics": the supplier's advance notice is booked (a carrier
# and waybill, or a pickup slot), travels, arrives, is counted line by line (receiving →
# received) and closed when every lot is inspected. It may be cancelled until it leaves.
INBOUND_SHIPMENT_MACHINE = Machine(
    InboundShipment,
    {
        "draft": {"booked", "cancelled"},
        "booked": {"in_transit", "cancelled"},
        "in_transit": {"arrived"},
        "arrived": {"receiving"},
        "receiving": {"received"},
        "received": {"closed"},
        "closed": set(),
        "cancelled": set(),
    },
    event="inbound.{to}",
    stamped="status_changed_at",
)


class InboundLine(models.Model):
    """One listing in an inbound shipment: what was declared and what receiving counted."""

    shipment = models.ForeignKey(
        InboundShipment,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("shipment"),
    )
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.PROTECT, related_name="+", verbose_name=_("listing")
    )
    declared = models.PositiveIntegerField(_("declared"))
    received = models.PositiveIntegerField(_("units received"), null=True, blank=True)
    damaged = models.PositiveIntegerField(_("damaged"), default=0)
    counted_at = models.DateTimeField(_("counted"), null=True, blank=True)

    class Meta:
        ordering = ["shipment", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(declared__gt=0), name="inbound_declared_positive"),
            models.CheckConstraint(
                condition=Q(received__isnull=True) | Q(damaged__lte=models.F("received")),
                name="inbound_damaged_within_received",
            ),
        ]
        verbose_name = _("inbound line")
        verbose_name_plural = _("inbound lines")

    def __str__(self) -> str:
        return gettext("%(n)s x listing %(listing)s") % {
            "n": self.declared,
            "listing": self.listing_id,
        }

    @property
    def discrepancy(self) -> int | None:
        """Units over (+) or short (-) of what was declared; None until counted."""
        return None if self.received is None else self.received - self.declared

    @property
    def sound(self) -> int:
        return (self.received or 0) - self.damaged


class SamplingState(models.Model):
    """Inspection severity for one supplier and product (ISO 2859-1 switching rules)."""

    class Severity(models.TextChoices):
        NORMAL = "normal", _("Normal")
        TIGHTENED = "tightened", _("Tightened")
        DISCONTINUED = "discontinued", _("Discontinued")

    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    severity = models.CharField(
        _("severity"), max_length=20, choices=Severity.choices, default=Severity.NORMAL
    )
    reason = models.CharField(_("why"), max_length=200, default="normal inspection")
    since = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["supplier", "product"], name="one_sampling_state")
        ]
        verbose_name = _("sampling state")
        verbose_name_plural = _("sampling states")

    def __str__(self) -> str:
        return f"{self.supplier_id}/{self.product_id}: {self.severity}"


class Inspection(models.Model):
    """The inspection of one received lot (an inbound line's sound units)."""

    class Result(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    line = models.OneToOneField(InboundLine, on_delete=models.PROTECT, related_name="inspection")
    supplier = models.ForeignKey("suppliers.Supplier", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey("catalogue.Product", on_delete=models.PROTECT, related_name="+")
    lot_size = models.PositiveIntegerField(_("lot size"))
    aql = models.CharField(_("AQL"), max_length=3)
    severity = models.CharField(_("severity"), max_length=20)
    severity_reason = models.CharField(_("why this severity"), max_length=200)
    letter = models.CharField(_("code letter"), max_length=1)
    sample_size = models.PositiveIntegerField(_("sample size"))
    accept_number = models.PositiveIntegerField(_("Ac"))
    reject_number = models.PositiveIntegerField(_("Re"))
    defects = models.PositiveIntegerField(_("defectives found"))
    notes = models.TextField(_("notes"), blank=True)
    resubmitted = models.BooleanField(
        _("resubmitted lot"),
        default=False,
        help_text=_("Resubmitted lots don't count for switching."),
    )
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    inspected_at = models.DateTimeField(_("inspected"), default=timezone.now)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-inspected_at", "-id"]
        indexes = [
            models.Index(fields=["supplier", "product", "inspected_at"], name="inspection_history")
        ]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")

    def __str__(self) -> str:
        return f"Inspection of line {self.line_id}: {self.result}"


class StockPosition(models.Model):
    """Per listing and warehouse, the sums of the stock ledger, kept in the same transaction as
    every movement (its row lock serialises reservations). The ledger stays the truth: a test
    checks the sums against it."""

    # Named from the listing's side so the catalogue's stock rule reads a listing's consignment
    # stock (catalogue.services.listings.available_stock) without importing logistics.
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.PROTECT, related_name="stock_positions"
    )
    warehouse = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="+")
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    available = models.IntegerField(_("available"), default=0)
    sold = models.IntegerField(_("sold"), default=0)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        # The columns themselves (not the related models' orderings): pages read off the
        # one_stock_position index.
        ordering = ["listing_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "warehouse"], name="one_stock_position"),
            models.CheckConstraint(condition=Q(available__gte=0), name="available_not_negative"),
            models.CheckConstraint(
                condition=Q(available__lte=models.F("on_hand")), name="available_within_on_hand"
            ),
        ]
        indexes = [models.Index(fields=["supplier", "listing"], name="stock_supplier")]
        verbose_name = _("stock position")
        verbose_name_plural = _("stock positions")

    def __str__(self) -> str:
        return f"listing {self.listing_id} @ {self.warehouse_id}: {self.available}/{self.on_hand}"

    @property
    def reserved(self) -> int:
        return self.on_hand - self.available


class StockMovement(models.Model):
    """One append-only row of the stock ledger. `on_hand` and `available` are the signed changes
    it makes; the owner is the supplier while the goods are consignment stock, the platform
    (blank) once sold."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        RESERVATION = "reservation", _("Reservation")
        RELEASE = "release", _("Release")
        SALE = "sale", _("Sale")
        RETURN = "return", _("Return")
        WRITE_OFF = "write_off", _("Write-off")
        RETURN_TO_SUPPLIER = "return_to_supplier", _("Return to supplier")
        # An enforcement case's failed lot: out of `available`, still on hand (not sellable,
        # not lost) until an officer releases it (back to available) or writes it off.
        QUARANTINE = "quarantine", _("Quarantine")
        QUARANTINE_RELEASE = "quarantine_release", _("Quarantine release")
        # Units pulled for a compliance test purchase (a write-off with the request's reference).
        SAMPLE = "sample", _("Sample for testing")

    position = models.ForeignKey(StockPosition, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    on_hand = models.IntegerField(_("on hand change"))
    available = models.IntegerField(_("available change"))
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["position", "occurred_at"], name="movement_position")]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.kind} {self.on_hand:+d}/{self.available:+d}"


class StockLot(models.Model):
    """Units of one accepted receipt still in the warehouse (first in, first out): the stock's
    age, and what an overstock offer hands back."""

    position = models.ForeignKey(StockPosition, on_delete=models.PROTECT, related_name="lots")
    inspection = models.OneToOneField(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="lot"
    )
    received_at = models.DateTimeField(_("received"))
    quantity = models.PositiveIntegerField(_("received quantity"))
    remaining = models.PositiveIntegerField(_("remaining"))

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["received_at"], condition=Q(remaining__gt=0), name="lot_unsold_age"
            ),
            # A position's oldest unsold unit (the stock pages' age column): one probe.
            models.Index(
                fields=["position", "received_at"],
                condition=Q(remaining__gt=0),
                name="lot_unsold_position",
            ),
        ]
        verbose_name = _("stock lot")
        verbose_name_plural = _("stock lots")

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.quantity}"


class OverstockOffer(models.Model):
    """Stock unsold for OVERSTOCK_DAYS offered back to the supplier: it takes it back at its
    freight, or leaves it for a markdown an operator decides."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("Offered")
        LEFT_FOR_MARKDOWN = "left_for_markdown", _("Left for markdown")
        RETURNED = "returned", _("Returned")
        MARKED_DOWN = "marked_down", _("Marked down")

    lot = models.OneToOneField(StockLot, on_delete=models.PROTECT, related_name="overstock_offer")
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="overstock_offers"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OFFERED
    )
    offered_at = models.DateTimeField(_("offered"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    markdown_note = models.CharField(_("markdown decision"), max_length=300, blank=True)

    class Meta:
        ordering = ["-offered_at", "-id"]
        verbose_name = _("overstock offer")
        verbose_name_plural = _("overstock offers")

    def __str__(self) -> str:
        return f"Overstock offer #{self.pk}: {self.quantity} units"


# SPEC, "Overstock return": stock unsold for 90 days is offered back to the supplier, who takes
# it back at its freight or leaves it for a markdown, which an operator then records.
OVERSTOCK_OFFER_MACHINE = Machine(
    OverstockOffer,
    {
        "offered": {"returned", "left_for_markdown"},
        "left_for_markdown": {"marked_down"},
        "returned": set(),
        "marked_down": set(),
    },
    event="overstock.{to}",
    stamped="decided_at",
)


class Quarantine(models.Model):
    """Units of a position held back because the lot they came from failed a test (an
    enforcement case): taken out of `available` by a `quarantine` movement, kept on hand, until
    a compliance officer releases them (a `quarantine_release` movement) or writes them off (a
    `write_off` movement of the units on hand)."""

    class Status(models.TextChoices):
        HELD = "held", _("Held")
        RELEASED = "released", _("Released")
        WRITTEN_OFF = "written_off", _("Written off")

    case = models.ForeignKey(
        "compliance.EnforcementCase",
        on_delete=models.PROTECT,
        related_name="quarantines",
        verbose_name=_("enforcement case"),
    )
    position = models.ForeignKey(
        StockPosition,
        on_delete=models.PROTECT,
        related_name="quarantines",
        verbose_name=_("stock position"),
    )
    lot = models.ForeignKey(
        StockLot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quarantines",
        verbose_name=_("lot"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    quantity = models.PositiveIntegerField(_("units"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.HELD, db_index=True
    )
    held_at = models.DateTimeField(_("held"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-held_at", "-id"]
        constraints = [
            # A case quarantines a position once: a re-run of the job adds nothing.
            models.UniqueConstraint(fields=["case", "position"], name="one_quarantine_per_case"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="quarantine_quantity_positive"
            ),
        ]
        indexes = [models.Index(fields=["supplier", "held_at"], name="quarantine_supplier")]
        verbose_name = _("quarantine")
        verbose_name_plural = _("quarantines")

    def __str__(self) -> str:
        return gettext("%(n)s units of listing %(listing)s (case %(case)s)") % {
            "n": self.quantity,
            "listing": self.position.listing_id,
            "case": self.case_id,
        }


# Held until a compliance officer releases the units or writes them off (an overturned case's
# units are released by the quarantine job).
QUARANTINE_MACHINE = Machine(
    Quarantine,
    {"held": {"released", "written_off"}, "released": set(), "written_off": set()},
    event={
        "released": "compliance.quarantine_released",
        "written_off": "compliance.quarantine_written_off",
    },
    stamped="decided_at",
)
