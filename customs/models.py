"""Customs as data (SPEC, "Customs and de minimis" and its table): the de minimis rules per
market, the duty and tax rates, and exchange rates, all effective-dated and edited by operators
in the admin. A parcel is judged by the rows in force on its ship date; nothing here is code that
changes when a government does."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.effective import EffectiveQuerySet, dates_ordered
from marketplace.markets import Market


class Channel(models.TextChoices):
    """How a parcel enters the market: some rules differ by it (Canada, US postal items)."""

    ANY = "", _("Any channel")
    POSTAL = "postal", _("Postal")
    COURIER = "courier", _("Courier")


class DeMinimisRule(models.Model):
    """One row of the de minimis table: what a parcel of a market, channel and origin pays on a
    day.

    `outcome` says what a parcel within the thresholds gets:
    - `relief`: no duty up to `duty_threshold` and no tax up to `tax_threshold` (amounts in
      `currency`; a tax collected at sale instead when `tax_at_sale`);
    - `flat_per_subheading`: `flat_duty` per distinct 6-digit HS subheading for a parcel under
      `duty_threshold`, when the seller of record is registered in IOSS (`requires_ioss`);
    - `none`: no de minimis at all: every parcel is an entry with duty estimated.
    A parcel over the threshold (or excluded by origin) is an entry with duty estimated from
    the duty-rate table.
    """

    class Outcome(models.TextChoices):
        RELIEF = "relief", _("Duty and tax relief up to the thresholds")
        FLAT_PER_SUBHEADING = "flat_per_subheading", _("Flat duty per distinct HS subheading")
        NONE = "none", _("No de minimis: every parcel is entered")

    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, blank=True, default=Channel.ANY
    )
    # Comma-separated ISO 3166 alpha-2 codes. `origins`: the rule applies only to goods from
    # these (blank: any origin). `excluded_origins`: goods from these get no de minimis ("*":
    # none does).
    origins = models.CharField(
        _("only for origins"), max_length=100, blank=True, help_text=_("e.g. US,MX; blank: any")
    )
    excluded_origins = models.CharField(
        _("excluded origins"), max_length=100, blank=True, help_text=_("e.g. CN,HK; * for all")
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices)
    currency = models.CharField(_("currency"), max_length=3)
    duty_threshold = models.DecimalField(
        _("duty threshold"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    tax_threshold = models.DecimalField(
        _("tax threshold"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    flat_duty = models.DecimalField(
        _("flat duty per subheading"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    requires_ioss = models.BooleanField(_("requires IOSS registration"), default=False)
    # The tax (VAT, GST) is collected by the platform at sale for parcels within the rule
    # (EU IOSS, UK, AU), not at the border.
    tax_at_sale = models.BooleanField(_("tax collected at sale"), default=False)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["market", "-effective_from", "channel", "id"]
        constraints = [dates_ordered("de_minimis_dates_ordered")]
        indexes = [models.Index(fields=["market", "effective_from"], name="de_minimis_market")]
        verbose_name = _("de minimis rule")
        verbose_name_plural = _("de minimis rules")

    def __str__(self) -> str:
        return f"{self.market} {self.get_outcome_display()} ({self.effective_from})"


class DutyRate(models.Model):
    """A duty rate in a market for goods whose HS code starts with `hs_prefix` (a 2-digit
    chapter or a 6-digit subheading; blank: all goods). The most specific base row applies; an
    `additional` row (a surcharge such as the US Section 122 10%) adds to it. `origins` limits a
    row to goods from those countries (blank: any)."""

    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    hs_prefix = models.CharField(
        _("HS prefix"), max_length=6, blank=True, help_text=_("2-digit chapter, 6-digit subheading")
    )
    origins = models.CharField(_("only for origins"), max_length=100, blank=True)
    rate_percent = models.DecimalField(
        _("rate (%)"),
        max_digits=7,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0"))],
    )
    additional = models.BooleanField(_("additional (surcharge)"), default=False)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["market", "hs_prefix", "-effective_from", "id"]
        constraints = [
            dates_ordered("duty_rate_dates_ordered"),
            models.CheckConstraint(condition=Q(rate_percent__gte=0), name="duty_rate_not_negative"),
        ]
        indexes = [models.Index(fields=["market", "hs_prefix"], name="duty_rate_lookup")]
        verbose_name = _("duty rate")
        verbose_name_plural = _("duty rates")

    def __str__(self) -> str:
        return f"{self.market} {self.hs_prefix or '*'} {self.rate_percent}%"


class TaxRate(models.Model):
    """The consumption tax (VAT, GST, sales tax at import) of a market, by HS prefix with the
    chapter and then the blank row as fallbacks (a reduced rate for books, say)."""

    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    hs_prefix = models.CharField(_("HS prefix"), max_length=6, blank=True)
    rate_percent = models.DecimalField(
        _("rate (%)"), max_digits=7, decimal_places=3, validators=[MinValueValidator(Decimal("0"))]
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["market", "hs_prefix", "-effective_from", "id"]
        constraints = [
            dates_ordered("tax_rate_dates_ordered"),
            models.CheckConstraint(condition=Q(rate_percent__gte=0), name="tax_rate_not_negative"),
        ]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")

    def __str__(self) -> str:
        return f"{self.market} {self.hs_prefix or '*'} {self.rate_percent}%"


class ExchangeRate(models.Model):
    """One unit of `base` is `rate` units of `quote` from `effective_from` until the next row of
    the pair (the day's rate is the latest row on or before the day)."""

    base = models.CharField(_("from currency"), max_length=3)
    quote = models.CharField(_("to currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    effective_from = models.DateField(_("effective from"))
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["base", "quote", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "effective_from"], name="one_rate_per_pair_and_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.effective_from})"


class FreightRate(models.Model):
    """What air freight and last mile cost per kilogram to a market (CNY), for landed cost."""

    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    per_kg_cny = models.DecimalField(
        _("per kg (CNY)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["market", "-effective_from"]
        constraints = [dates_ordered("freight_rate_dates_ordered")]
        verbose_name = _("freight rate")
        verbose_name_plural = _("freight rates")

    def __str__(self) -> str:
        return f"{self.market} {self.per_kg_cny} CNY/kg"
