"""Outbound parcels (SPEC, "Outbound parcels" and "Customs and de minimis"): a fulfilled consumer
order ships abroad as one or more parcels. Fully-managed parcels fly from a platform hub in an
air freight batch and reach the consumer through a last-mile partner in the market; semi-managed
parcels leave the seller's own overseas warehouse with the seller's carrier. Carriers report
tracking events; the parcel's state and each milestone's time follow from the set of its events,
whatever order they arrive in. Each parcel gets a customs decision from the rules in force on its
ship date."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customs.models import Channel, DeMinimisRule
from marketplace.markets import Market
from marketplace.states import Machine

# What a tracking number may be (the platform's own and the carriers' alike): upper-case letters,
# digits and dashes, 6 to 40 characters.
TRACKING_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{5,39}")


class Milestone(models.TextChoices):
    """The carriers' event codes (SPEC), in the order a parcel reaches them. `exception` and
    `returned` are not steps of the way: see shipping.selectors.tracking for how they count."""

    PICKED_UP = "picked_up", _("Picked up")
    DEPARTED_ORIGIN = "departed_origin", _("Departed origin")
    ARRIVED_DESTINATION = "arrived_destination", _("Arrived in destination")
    CUSTOMS_CLEARED = "customs_cleared", _("Customs cleared")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    EXCEPTION = "exception", _("Exception")
    RETURNED = "returned", _("Returned to sender")


class LastMilePartner(models.Model):
    """The carrier that delivers fully-managed parcels to the door in a market."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.COURIER
    )
    # Tracking numbers the platform assigns its parcels for this partner start with it.
    tracking_prefix = models.CharField(_("tracking prefix"), max_length=6)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["market", "name"]
        verbose_name = _("last-mile partner")
        verbose_name_plural = _("last-mile partners")

    def __str__(self) -> str:
        return self.name


class AirFreightBatch(models.Model):
    """Fully-managed parcels for one market consolidated under one master air waybill, flown
    from a platform hub."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DEPARTED = "departed", _("Departed")
        ARRIVED = "arrived", _("Arrived")

    master_air_waybill = models.CharField(_("master air waybill"), max_length=20, unique=True)
    flight_number = models.CharField(_("flight"), max_length=10)
    origin_hub = models.ForeignKey(
        "logistics.Warehouse",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("origin hub"),
    )
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    last_mile = models.ForeignKey(
        LastMilePartner,
        on_delete=models.PROTECT,
        related_name="batches",
        verbose_name=_("last-mile partner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    planned_departure = models.DateTimeField(_("planned departure"))
    departed_at = models.DateTimeField(_("departed"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("air freight batch")
        verbose_name_plural = _("air freight batches")

    def __str__(self) -> str:
        return self.master_air_waybill


# open → departed → arrived (shipping.services.batches); no supplier owns a batch.
AIR_FREIGHT_BATCH_MACHINE = Machine(
    AirFreightBatch,
    {"open": {"departed"}, "departed": {"arrived"}, "arrived": set()},
    event="air_freight_batch.{to}",
    supplier=None,
)


class Parcel(models.Model):
    """What one consumer order ships as (or a share of it, when it is split by weight)."""

    class Status(models.TextChoices):
        CREATED = "created", pgettext_lazy("parcel status", "Created")
        PICKED_UP = "picked_up", _("Picked up")
        DEPARTED_ORIGIN = "departed_origin", _("Departed origin")
        ARRIVED_DESTINATION = "arrived_destination", _("Arrived in destination")
        CUSTOMS_CLEARED = "customs_cleared", _("Customs cleared")
        OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        EXCEPTION = "exception", _("Exception")
        RETURNED = "returned", _("Returned to sender")

    class Mode(models.TextChoices):
        # The platform ships (air freight batch and last-mile partner).
        PLATFORM = "platform", _("Shipped by the platform")
        # The seller ships from its own overseas warehouse.
        SELLER = "seller", _("Shipped by the seller")

    order = models.ForeignKey(
        "orders.ConsumerOrder",
        on_delete=models.PROTECT,
        related_name="parcels",
        verbose_name=_("consumer order"),
    )
    listing = models.ForeignKey(
        "catalogue.Listing", on_delete=models.PROTECT, related_name="+", verbose_name=_("listing")
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="parcels",
        db_index=False,  # parcel_supplier leads with it
        verbose_name=_("supplier"),
    )
    mode = models.CharField(_("shipped by"), max_length=10, choices=Mode.choices)
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2"))
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.COURIER
    )
    # Assigned by the platform for its own parcels, posted by the seller for its own.
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True)
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    last_mile = models.ForeignKey(
        LastMilePartner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name=_("last-mile partner"),
    )
    batch = models.ForeignKey(
        AirFreightBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name=_("air freight batch"),
    )
    declared_value = models.DecimalField(_("declared value"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    weight_g = models.PositiveIntegerField(_("weight (g)"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CREATED
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Each milestone's time: the earliest event of that code (tracking's rule).
    picked_up_at = models.DateTimeField(_("picked up"), null=True, blank=True)
    departed_origin_at = models.DateTimeField(_("departed origin"), null=True, blank=True)
    arrived_destination_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    customs_cleared_at = models.DateTimeField(_("customs cleared"), null=True, blank=True)
    out_for_delivery_at = models.DateTimeField(_("out for delivery"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned to sender"), null=True, blank=True)
    # The latest exception reported (it shows as the state only while no later milestone).
    exception_at = models.DateTimeField(_("last exception"), null=True, blank=True)
    exception_note = models.CharField(_("exception note"), max_length=300, blank=True)
    # The hold queue: the compliance answer refused shipping to this market (its reasons as the
    # answer gave them); released when the answer allows it again.
    held_at = models.DateTimeField(_("on hold since"), null=True, blank=True)
    hold_reasons = models.JSONField(_("hold reasons"), default=list, blank=True)
    # Past the delivery target (12 days since pickup) and not delivered: flagged once.
    late_flagged_at = models.DateTimeField(_("flagged late"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tracking_number"],
                condition=~Q(tracking_number=""),
                name="one_parcel_per_tracking_number",
            ),
            models.CheckConstraint(condition=Q(declared_value__gte=0), name="parcel_value_ok"),
        ]
        indexes = [
            models.Index(fields=["supplier", "-created_at"], name="parcel_supplier"),
            models.Index(fields=["market", "status"], name="parcel_market_status"),
            models.Index(fields=["delivered_at"], name="parcel_delivered"),
            models.Index(
                fields=["held_at"], condition=Q(held_at__isnull=False), name="parcel_held"
            ),
            # The late job's candidates (picked up, not flagged, not arrived) and the operators'
            # queue of late parcels (shipping.selectors.late).
            models.Index(
                fields=["picked_up_at"],
                condition=Q(late_flagged_at__isnull=True)
                & ~Q(status__in=["delivered", "returned"]),
                name="parcel_due_late_flag",
            ),
            models.Index(
                fields=["late_flagged_at"],
                condition=Q(late_flagged_at__isnull=False)
                & ~Q(status__in=["delivered", "returned"]),
                name="parcel_late",
            ),
        ]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")

    def __str__(self) -> str:
        return self.tracking_number or gettext("Parcel #%(id)s") % {"id": self.pk}


class ParcelItem(models.Model):
    """A line of the parcel as customs sees it."""

    parcel = models.ForeignKey(Parcel, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "catalogue.Product", on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    description = models.CharField(_("description"), max_length=200)
    hs_code = models.CharField(_("HS code"), max_length=10)
    origin_country = models.CharField(_("country of origin"), max_length=2)
    quantity = models.PositiveIntegerField(_("quantity"))
    # In the parcel's currency (the market's).
    unit_value = models.DecimalField(_("unit value"), max_digits=12, decimal_places=2)
    weight_g = models.PositiveIntegerField(_("weight (g)"))

    class Meta:
        ordering = ["parcel", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parcel_item_quantity_ok")
        ]
        verbose_name = _("parcel item")
        verbose_name_plural = _("parcel items")

    def __str__(self) -> str:
        return f"{self.quantity} x {self.description}"


class TrackingEvent(models.Model):
    """One scan a carrier reported, kept as reported. `external_id` is the carrier's own id of
    the event: a repeat is ignored."""

    parcel = models.ForeignKey(
        Parcel, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    external_id = models.CharField(_("carrier's event id"), max_length=64)
    code = models.CharField(_("event"), max_length=20, choices=Milestone.choices)
    occurred_at = models.DateTimeField(_("occurred"))
    location = models.CharField(_("location"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["parcel", "occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["parcel", "external_id"], name="one_tracking_event_per_carrier_id"
            )
        ]
        # Operators look an event up by the carrier's id (the admin's exact search).
        indexes = [models.Index(fields=["external_id"], name="tracking_event_carrier_id")]
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")

    def __str__(self) -> str:
        # The milestone's words; the time is shown beside it in the operator's zone.
        label = str(self.get_code_display())
        return f"{label} · {self.location}" if self.location else label


class CustomsDecision(models.Model):
    """How the parcel enters its market, judged by the rules in force on its ship date: the rule
    used and the arithmetic are kept, so the decision can be read and replayed."""

    class Outcome(models.TextChoices):
        DE_MINIMIS = "de_minimis", _("Duty-free under de minimis")
        FLAT_DUTY = "flat_duty", _("Flat duty per subheading")
        ENTRY = "entry", _("Entry with duty")

    parcel = models.OneToOneField(
        Parcel, on_delete=models.CASCADE, related_name="customs", verbose_name=_("parcel")
    )
    ship_date = models.DateField(_("ship date"))
    rule = models.ForeignKey(
        DeMinimisRule,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rule"),
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    currency = models.CharField(_("currency"), max_length=3)
    customs_value = models.DecimalField(_("customs value"), max_digits=12, decimal_places=2)
    duty = models.DecimalField(_("duty"), max_digits=12, decimal_places=2)
    tax = models.DecimalField(_("tax"), max_digits=12, decimal_places=2)
    tax_at_sale = models.BooleanField(_("tax collected at sale"), default=False)
    # The steps as data ({"step": code, ...values}), worded when shown.
    arithmetic = models.JSONField(_("arithmetic"), default=list)
    decided_at = models.DateTimeField(_("decided"), default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("customs decision")
        verbose_name_plural = _("customs decisions")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.ship_date})"
