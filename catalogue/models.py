"""The catalogue (SPEC, "Listings: fully managed and semi managed"): categories, products,
listings with their prices and stock per market, price review rounds and tenders."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.markets import MARKET_CURRENCY as MARKET_CURRENCY
from marketplace.markets import Market as Market
from marketplace.states import Machine

from .validators import validate_hs_code


class Category(models.Model):
    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        HIGH = "high", _("High")

    class Aql(models.TextChoices):
        AQL_2_5 = "2.5", "2.5"
        AQL_4_0 = "4.0", "4.0"

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    risk_level = models.CharField(_("risk level"), max_length=4, choices=Risk.choices)
    # Empty: the category inspects at the AQL its risk level gives (`aql_for_risk`).
    aql_override = models.CharField(
        _("AQL override"),
        max_length=3,
        choices=Aql.choices,
        blank=True,
        help_text=_("Leave empty to inspect at the AQL the risk level gives."),
    )
    # The supply prices (CNY per unit) operators expect in this category.
    price_band_min = models.DecimalField(
        _("price band from (CNY)"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    price_band_max = models.DecimalField(
        _("price band to (CNY)"), null=True, blank=True, max_digits=12, decimal_places=2
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(price_band_min__isnull=True)
                | Q(price_band_max__isnull=True)
                | Q(price_band_min__lte=models.F("price_band_max")),
                name="category_price_band_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_zh}"

    @property
    def effective_aql(self) -> str:
        """The AQL inspection samples this category's lots at: the override, else the risk's."""
        return self.aql_override or aql_for_risk(self.risk_level)


def aql_for_risk(risk_level: str) -> str:
    """The default AQL of a risk level (SPEC: 2.5 for high-risk categories, 4.0 for the rest),
    the two numbers being the settings AQL_HIGH_RISK and AQL_LOW_RISK."""
    if risk_level == Category.Risk.HIGH:
        return str(settings.AQL_HIGH_RISK)
    return str(settings.AQL_LOW_RISK)


def risks_with_aql(aql: str) -> list[str]:
    """The risk levels whose default AQL is `aql` (to filter on the effective AQL)."""
    return [risk for risk in Category.Risk.values if aql_for_risk(risk) == aql]


class Product(models.Model):
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    hs_code = models.CharField(_("HS code"), max_length=10, validators=[validate_hs_code])
    weight_g = models.PositiveIntegerField(_("weight (g)"), validators=[MinValueValidator(1)])
    length_cm = models.DecimalField(_("length (cm)"), max_digits=7, decimal_places=1)
    width_cm = models.DecimalField(_("width (cm)"), max_digits=7, decimal_places=1)
    height_cm = models.DecimalField(_("height (cm)"), max_digits=7, decimal_places=1)
    declared_value_usd = models.DecimalField(
        _("declared value (USD)"), max_digits=12, decimal_places=2
    )
    # Customs judges a parcel's goods by where they were made (ISO 3166 alpha-2).
    origin_country = models.CharField(
        _("country of origin"), max_length=2, default="CN", db_default="CN"
    )
    # A benchmark for price review, e.g. the same item's wholesale price (CNY per unit).
    reference_price_cny = models.DecimalField(
        _("reference price (CNY)"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    # The supplier that created the product; none for a specification an operator wrote for a
    # tender.
    owner = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="products",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return f"{self.title_en} / {self.title_zh}"


class ProductImage(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to="products/%Y/%m/")
    thumbnail = models.ImageField(_("thumbnail"), upload_to="products/thumbs/%Y/%m/")
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["product", "position", "id"]
        verbose_name = _("product image")
        verbose_name_plural = _("product images")

    def __str__(self) -> str:
        return self.image.name


class Listing(models.Model):
    class Mode(models.TextChoices):
        FULLY_MANAGED = "fully_managed", _("Fully managed")
        SEMI_MANAGED = "semi_managed", _("Semi managed")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        PRICE_REVIEW = "price_review", _("Price review")
        COMPLIANCE_REVIEW = "compliance_review", _("Compliance review")
        APPROVED = "approved", _("Approved")
        LIVE = "live", _("Live")
        PAUSED = "paused", _("Paused")
        DELISTED = "delisted", _("Delisted")

    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="listings"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="listings")
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    is_jit = models.BooleanField(
        _("JIT"), default=False, help_text=_("Sold before stock exists; shipped within 24 h.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    status_reason = models.CharField(_("status reason"), max_length=300, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    # Paused by the stock rule (resumes by itself when stock returns), not by a person.
    paused_for_stock = models.BooleanField(default=False, editable=False)
    # The accepted supply price (CNY per unit), set by price review.
    supply_price_cny = models.DecimalField(
        _("supply price (CNY)"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    # GPSR (EU) 2023/988, from 2024-12-13: a listing sold in the EU names its manufacturer and
    # the economic operator responsible in the EU; the EU compliance answer requires both.
    gpsr_manufacturer = models.CharField(
        _("manufacturer (GPSR)"),
        max_length=300,
        blank=True,
        db_default="",
        help_text=_("Name and postal address of the manufacturer."),
    )
    eu_responsible_person = models.CharField(
        _("EU responsible person"),
        max_length=300,
        blank=True,
        db_default="",
        help_text=_("Name and postal address of the economic operator responsible in the EU."),
    )
    # When the listing's first stocking batch passed warehouse inspection (the stocking cap).
    first_batch_accepted_at = models.DateTimeField(_("first batch accepted"), null=True, blank=True)
    # Restock planning (SPEC, "Demand-driven restock"): stocking orders are asked for in whole
    # cases; the supplier's production lead time for this listing (blank: RESTOCK_PRODUCTION_DAYS).
    case_pack = models.PositiveIntegerField(
        _("case pack"), default=1, db_default=1, help_text=_("Units in one case.")
    )
    production_lead_days = models.PositiveSmallIntegerField(
        _("production lead time (days)"),
        null=True,
        blank=True,
        help_text=_("Days to produce a stocking order; blank uses the platform's default."),
    )
    # Set by the restock job when the listing has had no orders for RESTOCK_DEAD_DAYS (dead
    # stock: no proposals, and its stock is offered back to the supplier by the overstock job);
    # cleared when it sells again.
    dead_stock_since = models.DateField(_("dead stock since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        # Compliance officers, not operators, move a listing out of compliance review.
        permissions = [("approve_compliance", _("Can approve a listing's compliance"))]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "product", "mode"], name="one_listing_per_supplier_product_mode"
            ),
            # JIT goods go to the platform's JIT warehouse: only fully managed listings.
            models.CheckConstraint(
                condition=Q(is_jit=False) | Q(mode="fully_managed"), name="jit_is_fully_managed"
            ),
            models.CheckConstraint(condition=Q(case_pack__gte=1), name="case_pack_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.product.title_en} ({self.get_mode_display()}) by {self.supplier.name_en}"


# SPEC, "Listings": draft → submitted → price_review → compliance_review → approved → live ⇄
# paused → delisted. A rejected or withdrawn price sends a listing under review back to draft;
# an approved listing published without stock goes straight to paused (the stock rule resumes
# it); an operator may delist at any point, with a reason (catalogue.services.listings).
LISTING_MACHINE = Machine(
    Listing,
    {
        "draft": {"submitted", "delisted"},
        "submitted": {"price_review", "draft", "delisted"},
        "price_review": {"compliance_review", "draft", "delisted"},
        "compliance_review": {"approved", "draft", "delisted"},
        "approved": {"live", "paused", "delisted"},
        "live": {"paused", "delisted"},
        "paused": {"live", "delisted"},
        "delisted": set(),
    },
    event="listing.status_changed",
    stamped="status_changed_at",
)


class ListingPrice(models.Model):
    """The retail price of a listing in one market; operators set it, suppliers only read it."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="prices")
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    currency = models.CharField(_("currency"), max_length=3)
    amount = models.DecimalField(_("retail price"), max_digits=12, decimal_places=2)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("set"), default=timezone.now)

    class Meta:
        ordering = ["listing", "market"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "market"], name="one_price_per_market"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="retail_price_positive"),
        ]
        verbose_name = _("retail price")
        verbose_name_plural = _("retail prices")

    def __str__(self) -> str:
        return f"{self.market} {self.amount} {self.currency}"


class OverseasStock(models.Model):
    """A semi-managed seller's stock in its own warehouse in one market, as it reports it."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="overseas_stock")
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    quantity = models.PositiveIntegerField(_("quantity"))
    # Units consumer orders hold until the seller ships them (never more than reported).
    reserved = models.PositiveIntegerField(_("reserved"), default=0, db_default=0)
    reported_at = models.DateTimeField(_("reported"), default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["listing", "market"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "market"], name="one_stock_per_market"),
            models.CheckConstraint(
                condition=Q(reserved__lte=models.F("quantity")), name="overseas_reserved_ok"
            ),
        ]
        verbose_name = _("overseas stock")
        verbose_name_plural = _("overseas stock")

    def __str__(self) -> str:
        return f"{self.market}: {self.quantity}"


class PriceRound(models.Model):
    """One round of price review: the supplier proposes, an operator accepts, counters or
    rejects, and after a counter the supplier accepts it or withdraws."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        COUNTERED = "countered", _("Countered")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    OPEN = (Status.PROPOSED, Status.COUNTERED)

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="price_rounds")
    number = models.PositiveIntegerField(_("round"))
    proposed_price = models.DecimalField(_("proposed price (CNY)"), max_digits=12, decimal_places=2)
    counter_price = models.DecimalField(
        _("counter price (CNY)"), null=True, blank=True, max_digits=12, decimal_places=2
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    supplier_note = models.CharField(_("supplier's note"), max_length=300, blank=True)
    operator_note = models.CharField(_("operator's note"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["listing", "number"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "number"], name="price_round_number"),
            # One open round per listing, whatever races: the database says no to a second.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(status__in=["proposed", "countered"]),
                name="one_open_price_round",
            ),
            models.CheckConstraint(condition=Q(proposed_price__gt=0), name="proposal_positive"),
        ]
        verbose_name = _("price round")
        verbose_name_plural = _("price rounds")

    def __str__(self) -> str:
        return f"{self.listing_id} round {self.number} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def agreed_price(self) -> Decimal | None:
        if self.status != self.Status.ACCEPTED:
            return None
        return self.counter_price if self.counter_price is not None else self.proposed_price


# SPEC, "Listings" (price review): the supplier proposes; an operator accepts, counters or
# rejects; after a counter the supplier accepts it or withdraws. The supplier may withdraw a
# proposal not yet answered, and an operator may still reject after countering. Every round is
# kept: an answered round never moves again. The kinds are the listing's price events (an
# accepted round is an agreed price).
PRICE_ROUND_MACHINE = Machine(
    PriceRound,
    {
        "proposed": {"countered", "accepted", "rejected", "withdrawn"},
        "countered": {"accepted", "rejected", "withdrawn"},
        "accepted": set(),
        "rejected": set(),
        "withdrawn": set(),
    },
    event={
        "countered": "listing.price_countered",
        "accepted": "listing.price_agreed",
        "rejected": "listing.price_rejected",
        "withdrawn": "listing.price_withdrawn",
    },
    supplier="listing.supplier_id",
)


class Tender(models.Model):
    """A reverse auction: the platform asks for a quantity of a specified product; suppliers
    bid sealed unit prices; at closing the best qualified bid wins (see services.tenders)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        AWARDED = "awarded", _("Awarded")
        UNAWARDED = "unawarded", _("Closed without award")
        CANCELLED = "cancelled", _("Cancelled")

    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="tenders",
        verbose_name=_("product"),
        help_text=_("The product specification suppliers bid for."),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    closes_at = models.DateTimeField(_("closes"), db_index=True)
    # Quality thresholds a bidder must meet to qualify (empty: no threshold).
    min_score = models.DecimalField(
        _("minimum scorecard"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    max_return_rate = models.DecimalField(
        _("maximum return rate"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("As a fraction, e.g. 0.08 for 8%."),
    )
    required_test = models.CharField(
        _("required passing test"),
        max_length=100,
        blank=True,
        help_text=_("A standard the product must have passed, e.g. EN 71-3."),
    )
    quality_adjusted = models.BooleanField(
        _("quality-adjusted"),
        default=False,
        help_text=_("Rank bids by price divided by a quality factor from the scorecard."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    winning_bid = models.OneToOneField(
        "Bid", on_delete=models.PROTECT, null=True, blank=True, related_name="won_tender"
    )
    # Which bids qualified, how they ranked and why the winner won (shown with the award).
    award_explanation = models.JSONField(_("award explanation"), default=dict, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["closes_at"], condition=Q(status="open"), name="tender_due")
        ]
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")

    def __str__(self) -> str:
        return f"Tender #{self.pk}: {self.quantity} x {self.product.title_en}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN and self.closes_at > timezone.now()


# SPEC, "Listings" (reverse auction): at its closing time an open tender is awarded to the best
# qualified bid, or closes unawarded when no bid qualifies. Nothing cancels a tender today: the
# state is kept for the data, and no move reaches it. The tender is the platform's, not a
# supplier's (the award and the losses are told to each bidder beside the move).
TENDER_MACHINE = Machine(
    Tender,
    {
        "open": {"awarded", "unawarded"},
        "awarded": set(),
        "unawarded": set(),
        "cancelled": set(),
    },
    event="tender.closed",
    stamped="closed_at",
    supplier=None,
)


class Bid(models.Model):
    """A supplier's sealed bid. Only its supplier reads it before closing; operators see the
    amounts after closing; no other supplier ever does."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="bids")
    supplier = models.ForeignKey(
        "suppliers.Supplier", on_delete=models.PROTECT, related_name="bids"
    )
    unit_price = models.DecimalField(_("unit price (CNY)"), max_digits=12, decimal_places=2)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"))
    capacity = models.PositiveIntegerField(_("capacity (units)"))
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    updated_at = models.DateTimeField(_("last lowered"), default=timezone.now)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["tender", "placed_at"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "supplier"], name="one_bid_per_supplier"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="bid_price_positive"),
        ]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")

    def __str__(self) -> str:
        return f"Bid #{self.pk} on tender {self.tender_id}"


class ListingActionPause(models.Model):
    """A listing paused because a critical corrective action of its supplier is overdue
    (catalogue.services.corrective_pauses). Closing the action puts back exactly these rows'
    listings, and only those still paused as this rule left them (`paused_at` is the listing's
    status time then): a listing an operator resumed, re-paused or delisted meanwhile stays as
    the operator left it. `released_at` says the rule let go; `restored` whether it put the
    listing back on sale."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="action_pauses")
    action = models.ForeignKey(
        "compliance.CorrectiveAction", on_delete=models.PROTECT, related_name="listing_pauses"
    )
    paused_at = models.DateTimeField(_("paused"))
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    restored = models.BooleanField(_("put back on sale"), default=False)

    class Meta:
        ordering = ["-paused_at", "-id"]
        constraints = [
            # A listing is held by this rule once at a time, whatever runs at the same moment.
            models.UniqueConstraint(
                fields=["listing"],
                condition=Q(released_at__isnull=True),
                name="one_open_action_pause_per_listing",
            )
        ]
        indexes = [models.Index(fields=["action", "released_at"], name="pause_action_released")]
        verbose_name = _("listing paused for a corrective action")
        verbose_name_plural = _("listings paused for corrective actions")

    def __str__(self) -> str:
        return f"Listing {self.listing_id} paused for CAPA {self.action_id}"


class ListingReturnRate(models.Model):
    """A listing's return rate over the 30 days up to `day` (SPEC, "Return-rate feedback"):
    units sold and units returned for a defect or "not as described". Written daily by the
    returns job; the stocking cap and the return-rate feedback read the latest row."""

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="return_rates", db_index=False
    )
    day = models.DateField(_("day"))
    units_sold = models.PositiveIntegerField(_("units sold"))
    units_returned = models.PositiveIntegerField(_("units returned (defect)"))
    # None when nothing was sold in the window.
    rate = models.DecimalField(
        _("return rate"), max_digits=7, decimal_places=4, null=True, blank=True
    )

    class Meta:
        ordering = ["listing", "-day"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "day"], name="one_return_rate_per_day")
        ]
        verbose_name = _("listing return rate")
        verbose_name_plural = _("listing return rates")

    def __str__(self) -> str:
        return f"{self.listing_id} {self.day}: {self.rate}"
