"""Evidence: third-party test records (with their measured values) and certificates.

A record counts toward compliance only once it is verified: at once when the lab posts it
through the API, after a second compliance officer checks one an officer typed in, after an
officer (or the lab) confirms one a supplier uploaded. A retest supersedes a record without
erasing it. A certificate is `unverified` until checked with its issuer."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.states import Machine

from .labs import Lab
from .rules import Standard, TestSpecification


class TestRecord(models.Model):
    """A third-party lab's test of a supplier's product (and, where known, a lot) to one
    standard."""

    __test__ = False

    class Result(models.TextChoices):
        PASS = "pass", _("Pass")
        FAIL = "fail", _("Fail")
        INCONCLUSIVE = "inconclusive", _("Inconclusive")

    class Source(models.TextChoices):
        LAB = "lab", _("Lab (API)")
        OFFICER = "officer", _("Compliance officer")
        SUPPLIER = "supplier", _("Supplier")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    product = models.ForeignKey(
        "catalogue.Product",
        on_delete=models.PROTECT,
        related_name="test_records",
        verbose_name=_("product"),
    )
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="test_records",
        verbose_name=_("supplier"),
    )
    standard = models.ForeignKey(
        Standard, on_delete=models.PROTECT, related_name="test_records", verbose_name=_("standard")
    )
    lab = models.ForeignKey(
        Lab, on_delete=models.PROTECT, related_name="test_records", verbose_name=_("lab")
    )
    report_number = models.CharField(_("report number"), max_length=100)
    result = models.CharField(_("result"), max_length=12, choices=Result.choices)
    issued_on = models.DateField(_("issued"))
    valid_until = models.DateField(_("valid until"))
    # The lot the sample came from, where known: the inbound line it arrived on, or the stock
    # lot it was taken from (a sampling purchase, an enforcement quarantine).
    inbound_line = models.ForeignKey(
        "logistics.InboundLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="test_records",
    )
    stock_lot = models.ForeignKey(
        "logistics.StockLot",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="test_records",
    )
    report_file = models.FileField(
        _("report (PDF)"), upload_to="compliance/reports/%Y/%m/", blank=True
    )
    report_sha256 = models.CharField(_("report SHA-256"), max_length=64, blank=True, db_index=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNVERIFIED
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_via = models.ForeignKey(
        "accounts.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    status_note = models.CharField(_("note"), max_length=300, blank=True)
    # A retest replaces this record from `superseded_at`; the record itself stays.
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supersedes"
    )
    superseded_at = models.DateTimeField(_("superseded"), null=True, blank=True)
    sampling_request = models.ForeignKey(
        "compliance.SamplingRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="test_records",
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            # A rejected record (a supplier's upload found not genuine) does not hold the number:
            # the lab may still post its own report under it.
            models.UniqueConstraint(
                fields=["lab", "report_number"],
                condition=~Q(status="rejected"),
                name="one_record_per_report",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")), name="valid_after_issue"
            ),
            # Verified means someone (or the lab) vouched for it, at a time.
            models.CheckConstraint(
                condition=~Q(status="verified") | Q(verified_at__isnull=False),
                name="verified_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["product", "supplier", "standard", "issued_on"], name="test_lookup"
            ),
        ]
        verbose_name = _("test record")
        verbose_name_plural = _("test records")

    def __str__(self) -> str:
        return f"{self.report_number}: {self.get_result_display()}"


# Unverified → verified (a second officer, an officer checking a supplier's upload, or the lab
# confirming it) or rejected (not genuine). A verified record is final; a retest supersedes it.
TEST_RECORD_MACHINE = Machine(
    TestRecord,
    {"unverified": {"verified", "rejected"}, "verified": set(), "rejected": set()},
    event="compliance.test_record_{to}",
    stamped=None,
)


class Measurement(models.Model):
    """One measured value of a record, judged against the specification it was tested to. The
    limits are copied onto the row, so a later change of the specification never rewrites an old
    result; `specification` points at the row they came from, to flag a change since."""

    class Verdict(models.TextChoices):
        WITHIN = "within", _("Within limits")
        WARNING = "warning", _("Near a limit")
        OUTSIDE = "outside", _("Outside limits")

    record = models.ForeignKey(TestRecord, on_delete=models.CASCADE, related_name="measurements")
    specification = models.ForeignKey(
        TestSpecification, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    parameter = models.SlugField(_("parameter"), max_length=60)
    unit = models.CharField(_("unit"), max_length=20)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4)
    minimum = models.DecimalField(
        _("minimum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    maximum = models.DecimalField(
        _("maximum"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    warn_within = models.DecimalField(_("warning band"), max_digits=14, decimal_places=4, default=0)
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)

    class Meta:
        ordering = ["record", "parameter"]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "parameter"], name="one_measurement_per_parameter"
            )
        ]
        verbose_name = _("measured value")
        verbose_name_plural = _("measured values")

    def __str__(self) -> str:
        return f"{self.parameter} {self.value} {self.unit}"


class Certificate(models.Model):
    """A certificate or declaration of conformity (Children's Product Certificate, General
    Certificate of Conformity, CE / UKCA declarations, FCC SDoC, cosmetics notifications), for
    some of a supplier's products and some standards. For the US it also holds what a CPSC
    eFiling at entry carries."""

    class Kind(models.TextChoices):
        CPC = "cpc", _("Children's Product Certificate")
        GCC = "gcc", _("General Certificate of Conformity")
        CE = "ce", _("EU declaration of conformity (CE)")
        UKCA = "ukca", _("UK declaration of conformity (UKCA)")
        FCC_SDOC = "fcc_sdoc", _("FCC Supplier's Declaration of Conformity")
        NOTIFICATION = "notification", _("Notification or registration (MoCRA, CPNP, SCPN)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Rejected")

    class CheckMethod(models.TextChoices):
        ISSUER_REGISTRY = "issuer_registry", _("Looked up in the issuer's register")
        ISSUER_CONTACT = "issuer_contact", _("Confirmed by the issuer")
        DOCUMENT = "document", _("Document examined")

    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("supplier"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    issuer = models.CharField(_("issuer"), max_length=200)
    number = models.CharField(_("number"), max_length=100)
    scope = models.TextField(_("scope"), blank=True)
    products = models.ManyToManyField("catalogue.Product", related_name="certificates")
    standards = models.ManyToManyField(Standard, related_name="certificates")
    issued_on = models.DateField(_("issued"))
    valid_until = models.DateField(_("valid until"))
    file = models.FileField(
        _("document (PDF)"), upload_to="compliance/certificates/%Y/%m/", blank=True
    )
    file_sha256 = models.CharField(_("document SHA-256"), max_length=64, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNVERIFIED
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    check_method = models.CharField(
        _("checked by"), max_length=20, choices=CheckMethod.choices, blank=True
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    check_note = models.CharField(_("note"), max_length=300, blank=True)
    # CPSC eFiling (SPEC: required from 2026-07-08 for regulated consumer products).
    rules_cited = models.TextField(
        _("rules cited"), blank=True, help_text=_("Each safety rule the product is certified to.")
    )
    certifier = models.CharField(
        _("certifier"),
        max_length=300,
        blank=True,
        help_text=_("Importer or domestic manufacturer certifying, with contact."),
    )
    manufactured_on = models.DateField(_("date of manufacture"), null=True, blank=True)
    manufactured_at = models.CharField(_("place of manufacture"), max_length=300, blank=True)
    last_tested_on = models.DateField(_("date of last test"), null=True, blank=True)
    last_tested_at = models.CharField(_("place of last test"), max_length=300, blank=True)
    test_lab = models.ForeignKey(
        Lab,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lab"),
    )
    records_keeper = models.CharField(
        _("records keeper"),
        max_length=300,
        blank=True,
        help_text=_("Who keeps the test records, with contact."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)

    # What a CPSC eFiling carries (the order the answer lists missing ones in).
    EFILING_FIELDS = (
        "rules_cited",
        "certifier",
        "manufactured_on",
        "manufactured_at",
        "last_tested_on",
        "last_tested_at",
        "test_lab",
        "records_keeper",
    )

    class Meta:
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "number"], name="one_certificate_per_number"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")),
                name="certificate_valid_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(status="unverified") | Q(checked_at__isnull=False),
                name="certificate_checked_has_time",
            ),
        ]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def efiling_missing(self) -> list[str]:
        """The eFiling fields this certificate lacks (their names, in EFILING_FIELDS' order)."""
        return [
            name
            for name in self.EFILING_FIELDS
            if not getattr(self, name + ("_id" if name == "test_lab" else ""))
        ]


CERTIFICATE_MACHINE = Machine(
    Certificate,
    {"unverified": {"verified", "rejected"}, "verified": {"rejected"}, "rejected": set()},
    event="compliance.certificate_{to}",
    stamped="checked_at",
)
