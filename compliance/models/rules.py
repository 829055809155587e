"""The rules as data (SPEC, "Required standards by category and market"): standards, the limits
their tests are judged by, and the test programmes that say which standards a category needs in
a market. All effective-dated, so the answer for a past moment is judged by the rules then."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from marketplace.effective import EffectiveQuerySet, dates_ordered
from marketplace.markets import Market


class Standard(models.Model):
    """A standard or regulation a product is tested or certified to (ASTM F963-23, EN 71-3, FCC
    Part 15, a Children's Product Certificate, GPSR's listing duties)."""

    code = models.CharField(_("code"), max_length=60, unique=True, help_text=_("e.g. EN 71-3"))
    title = models.CharField(_("title"), max_length=200)
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    covers = models.TextField(_("what it covers"), blank=True)
    # What one third-party test to this standard costs: the sampling budget spends it.
    test_cost_cny = models.DecimalField(
        _("test cost (CNY)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["market", "code"]
        constraints = [
            dates_ordered("standard_dates_ordered"),
            models.CheckConstraint(
                condition=Q(test_cost_cny__gte=0), name="standard_cost_not_negative"
            ),
        ]
        verbose_name = _("standard")
        verbose_name_plural = _("standards")

    def __str__(self) -> str:
        return self.code


class TestSpecification(models.Model):
    """The limits a measured value of a standard's test is judged by (e.g. ASTM F963-23 / CPSIA:
    lead at most 100 ppm in substrate, 90 ppm in paint). A value inside the limits but within
    `warn_within` of one is a warning. Records copy the limits they were judged by."""

    __test__ = False  # not a pytest class

    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="specifications")
    parameter = models.SlugField(_("parameter"), max_length=60, help_text=_("e.g. lead_substrate"))
    label = models.CharField(_("label"), max_length=120)
    unit = models.CharField(_("unit"), max_length=20, help_text=_("e.g. ppm, %"))
    minimum = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    warn_within = models.DecimalField(
        _("warning band"),
        max_digits=14,
        decimal_places=4,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("A value this close to a limit is a warning."),
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["standard", "parameter", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "parameter", "effective_from"], name="one_specification_per_day"
            ),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True)
                | Q(maximum__isnull=True)
                | Q(minimum__lte=models.F("maximum")),
                name="specification_limits_ordered",
            ),
        ]
        verbose_name = _("test specification")
        verbose_name_plural = _("test specifications")

    def __str__(self) -> str:
        return f"{self.standard.code} {self.parameter}"


class TestProgramme(models.Model):
    """What a category needs in a market, from a date: its requirements. A programme without a
    category applies to every consumer product (e.g. GPSR in the EU)."""

    __test__ = False

    category = models.ForeignKey(
        "catalogue.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="test_programmes",
        help_text=_("Empty: every consumer product."),
        verbose_name=_("category"),
    )
    market = models.CharField(_("market"), max_length=2, choices=Market.choices)
    name = models.CharField(_("name"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    standards: models.ManyToManyField[Standard, ProgrammeRequirement] = models.ManyToManyField(
        Standard, through="ProgrammeRequirement", related_name="programmes"
    )

    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["market", "category", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "market", "effective_from"], name="one_programme_per_day"
            ),
            dates_ordered("programme_dates_ordered"),
        ]
        indexes = [
            models.Index(fields=["market", "category", "effective_from"], name="programme_lookup")
        ]
        verbose_name = _("test programme")
        verbose_name_plural = _("test programmes")

    def __str__(self) -> str:
        return self.name


class ProgrammeRequirement(models.Model):
    """One standard a programme requires, and what evidence satisfies it. In a high-risk category a
    certificate alone never satisfies a test requirement: it needs a passing lab test."""

    class Evidence(models.TextChoices):
        LAB_TEST = "lab_test", _("Passing third-party lab test")
        TEST_OR_CERTIFICATE = (
            "test_or_certificate",
            _("Lab test, or a verified certificate (low risk)"),
        )
        CERTIFICATE = "certificate", _("Verified certificate or declaration")
        LISTING_DETAILS = (
            "listing_details",
            _("Manufacturer and EU responsible person on the listing"),
        )

    class LabFlag(models.TextChoices):
        NONE = "", _("Any accredited lab")
        CPSC_ACCEPTED = "cpsc_accepted", _("CPSC-accepted lab")

    programme = models.ForeignKey(
        TestProgramme, on_delete=models.CASCADE, related_name="requirements"
    )
    standard = models.ForeignKey(Standard, on_delete=models.PROTECT, related_name="requirements")
    evidence = models.CharField(_("evidence"), max_length=20, choices=Evidence.choices)
    lab_flag = models.CharField(
        _("lab must be"), max_length=20, choices=LabFlag.choices, blank=True
    )
    # CPSC eFiling: from settings.EFILING_REQUIRED_FROM the certificate carries the entry's data.
    efiling = models.BooleanField(
        _("certificate data filed at entry"),
        default=False,
        help_text=_("US CPSC eFiling: the certificate must hold what the entry carries."),
    )

    class Meta:
        ordering = ["programme", "standard"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "standard"], name="one_requirement_per_standard"
            )
        ]
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")

    def __str__(self) -> str:
        return f"{self.programme}: {self.standard}"
