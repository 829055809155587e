"""Suppliers (factories and sellers), the users who act for them, and their deposit ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from marketplace.formatting import suppliers_today
from marketplace.states import Machine

from .validators import validate_credit_code

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Province(models.TextChoices):
    """Mainland China's provincial-level divisions (where factories are)."""

    ANHUI = "Anhui", _("Anhui")
    BEIJING = "Beijing", _("Beijing")
    CHONGQING = "Chongqing", _("Chongqing")
    FUJIAN = "Fujian", _("Fujian")
    GANSU = "Gansu", _("Gansu")
    GUANGDONG = "Guangdong", _("Guangdong")
    GUANGXI = "Guangxi", _("Guangxi")
    GUIZHOU = "Guizhou", _("Guizhou")
    HAINAN = "Hainan", _("Hainan")
    HEBEI = "Hebei", _("Hebei")
    HEILONGJIANG = "Heilongjiang", _("Heilongjiang")
    HENAN = "Henan", _("Henan")
    HUBEI = "Hubei", _("Hubei")
    HUNAN = "Hunan", _("Hunan")
    INNER_MONGOLIA = "Inner Mongolia", _("Inner Mongolia")
    JIANGSU = "Jiangsu", _("Jiangsu")
    JIANGXI = "Jiangxi", _("Jiangxi")
    JILIN = "Jilin", _("Jilin")
    LIAONING = "Liaoning", _("Liaoning")
    NINGXIA = "Ningxia", _("Ningxia")
    QINGHAI = "Qinghai", _("Qinghai")
    SHAANXI = "Shaanxi", _("Shaanxi")
    SHANDONG = "Shandong", _("Shandong")
    SHANGHAI = "Shanghai", _("Shanghai")
    SHANXI = "Shanxi", _("Shanxi")
    SICHUAN = "Sichuan", _("Sichuan")
    TIANJIN = "Tianjin", _("Tianjin")
    TIBET = "Tibet", _("Tibet")
    XINJIANG = "Xinjiang", _("Xinjiang")
    YUNNAN = "Yunnan", _("Yunnan")
    ZHEJIANG = "Zhejiang", _("Zhejiang")


class IntendedCategory(models.TextChoices):
    TOYS = "toys", _("Toys")
    ELECTRONICS = "electronics", _("Electronics")
    COSMETICS = "cosmetics", _("Cosmetics")
    HOME_GOODS = "home_goods", _("Home goods")
    APPAREL = "apparel", _("Apparel")
    SPORTS_OUTDOOR = "sports_outdoor", _("Sports and outdoor")
    OTHER = "other", _("Other")


def licence_path(supplier: Supplier, filename: str) -> str:
    suffix = filename.rsplit(".", 1)[-1].lower()
    return f"licences/{timezone.now():%Y/%m}/{supplier.credit_code}.{suffix}"


class Supplier(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        ONBOARDING = "onboarding", _("Onboarding")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        TERMINATED = "terminated", _("Terminated")

    class JitStatus(models.TextChoices):
        NOT_ENROLLED = "not_enrolled", _("Not enrolled")
        ENROLLED = "enrolled", _("Enrolled")
        PAUSED = "paused", _("Paused")

    class JitReason(models.TextChoices):
        """Why the JIT status last moved, stored as a code; the portal words it with the figures
        of the moment, in the reader's language."""

        ENROLLED = "enrolled", _("Enrolled: every condition met.")
        DEPOSIT_BELOW_MINIMUM = (
            "deposit_below_minimum",
            _("The deposit fell below the JIT minimum."),
        )
        DEPOSIT_RESTORED = (
            "deposit_restored",
            _("The deposit is back at or above the JIT minimum."),
        )

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    contact_name = models.CharField(_("contact person"), max_length=100)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    intended_categories = models.JSONField(_("intended categories"), default=list, blank=True)
    business_licence = models.FileField(_("business licence"), upload_to=licence_path, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.APPLIED, db_index=True
    )
    status_changed_at = models.DateTimeField(_("status changed"), default=timezone.now)
    # An operator asked the applicant to change the application; the applicant sees the comment
    # and resubmits.
    changes_requested = models.BooleanField(_("changes requested"), default=False)
    review_comment = models.TextField(_("review comment"), blank=True)

    jit_status = models.CharField(
        _("JIT status"),
        max_length=20,
        choices=JitStatus.choices,
        default=JitStatus.NOT_ENROLLED,
        db_index=True,
    )
    jit_status_reason = models.CharField(
        _("JIT status reason"), max_length=300, blank=True, choices=JitReason.choices
    )
    jit_status_changed_at = models.DateTimeField(_("JIT status changed"), null=True, blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self) -> str:
        return f"{self.name_en} / {self.name_zh}"

    @property
    def jit_enrolled(self) -> bool:
        """Enrolled in the JIT pilot, whether taking orders now or paused."""
        return self.jit_status != self.JitStatus.NOT_ENROLLED


# SPEC, "Suppliers and money": applied → onboarding → active ⇄ suspended → terminated, and an
# application may end in terminated (rejected). Only an operator moves it, with who, when and
# why recorded; suspending and terminating say why (suppliers.services.status).
SUPPLIER_MACHINE = Machine(
    Supplier,
    {
        "applied": {"onboarding", "terminated"},
        "onboarding": {"active", "terminated"},
        "active": {"suspended", "terminated"},
        "suspended": {"active", "terminated"},
        "terminated": set(),
    },
    event="supplier.status_changed",
    stamped="status_changed_at",
    supplier="pk",
)


class Factory(models.Model):
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="factories")
    province = models.CharField(_("province"), max_length=30, choices=Province.choices)
    city = models.CharField(_("city"), max_length=100)
    address = models.CharField(_("address"), max_length=300)
    industrial_cluster = models.CharField(
        _("industrial cluster"),
        max_length=100,
        blank=True,
        help_text=_("e.g. Shantou Chenghai toys, Yiwu small commodities"),
    )

    class Meta:
        ordering = ["supplier", "id"]
        verbose_name = _("factory")
        verbose_name_plural = _("factories")

    def __str__(self) -> str:
        return f"{self.city}, {self.get_province_display()}"


class Membership(models.Model):
    """A user acts for exactly one supplier."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        STAFF = "staff", _("Staff")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supplier_membership"
    )
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.STAFF)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    notifications_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["supplier", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"], condition=Q(role="owner"), name="one_owner_per_supplier"
            )
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) at {self.supplier}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class Invitation(models.Model):
    """A single-use, expiring link by which an owner brings a colleague in as staff."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.supplier}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.cancelled_at is None
            and self.expires_at > timezone.now()
        )


class LedgerEntry(models.Model):
    """One posting to a supplier's deposit, in CNY. Append-only: the database refuses UPDATE and
    DELETE (see migration 0003); a correction is a new entry pointing at the one it corrects.
    Amounts are signed: what adds to the deposit is positive, what takes from it negative."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        PENALTY = "penalty", _("Penalty")
        PENALTY_REVERSAL = "penalty_reversal", _("Penalty reversal")
        CHARGEBACK = "chargeback", _("Chargeback")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        ADJUSTMENT = "adjustment", _("Adjustment")
        # An enforcement case's fine (compliance: a second failed test within the window), and
        # its reversal when an officer overturns the case.
        FINE = "fine", _("Fine")
        FINE_REVERSAL = "fine_reversal", _("Fine reversal")
        # A return's chargeback given back when the supplier's appeal is upheld.
        CHARGEBACK_REVERSAL = "chargeback_reversal", _("Chargeback reversal")

    CREDITS = (Kind.TOP_UP, Kind.PENALTY_REVERSAL, Kind.FINE_REVERSAL, Kind.CHARGEBACK_REVERSAL)
    DEBITS = (Kind.PENALTY, Kind.CHARGEBACK, Kind.WITHDRAWAL, Kind.FINE)

    # Looked up through the balance and recent-entries indexes, which lead with it.
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", editable=False)
    # What caused the entry: an order, a penalty, a return, a withdrawal request...
    reference_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference_id = models.CharField(max_length=64, blank=True)
    reference = GenericForeignKey("reference_type", "reference_id")
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    memo = models.CharField(_("memo"), max_length=300, blank=True)
    bank_reference = models.CharField(_("bank reference"), max_length=100, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )
    posted_at = models.DateTimeField(_("posted"), default=timezone.now)

    class Meta:
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["supplier", "-posted_at"], name="ledger_supplier_recent")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=[
                            "top_up",
                            "penalty_reversal",
                            "fine_reversal",
                            "chargeback_reversal",
                        ],
                        amount__gt=0,
                    )
                    | Q(kind__in=["penalty", "chargeback", "withdrawal", "fine"], amount__lt=0)
                    | (Q(kind="adjustment") & ~Q(amount=0))
                ),
                name="ledger_amount_sign_matches_kind",
            ),
            models.CheckConstraint(condition=Q(currency="CNY"), name="ledger_deposit_is_cny"),
            # A bank transfer is credited once, however often it is reported.
            models.UniqueConstraint(
                fields=["supplier", "bank_reference"],
                condition=Q(kind="top_up"),
                name="one_top_up_per_bank_reference",
            ),
        ]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} CNY"


class WithdrawalRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, related_name="withdrawal_requests"
    )
    amount = models.DecimalField(_("amount (CNY)"), max_digits=14, decimal_places=2)
    bank_account = models.CharField(_("bank account"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="withdrawal_amount_positive")
        ]
        verbose_name = _("withdrawal request")
        verbose_name_plural = _("withdrawal requests")

    def __str__(self) -> str:
        return f"{self.amount} CNY for {self.supplier} ({self.status})"


# SPEC, "Suppliers and money": the owner asks, finance approves (paying out) or rejects, once.
WITHDRAWAL_MACHINE = Machine(
    WithdrawalRequest,
    {
        "requested": {"approved", "rejected"},
        "approved": set(),
        "rejected": set(),
    },
    event="supplier.withdrawal_{to}",
    stamped="decided_at",
)


class Standing(models.TextChoices):
    """Where a supplier stands, from its overall score (bands in SCORECARD_STANDINGS). A supplier
    with no scorecard yet, or none of whose components had activity, is new: not failing."""

    NEW = "new", _("New")
    VERY_POOR = "very_poor", _("Very poor")
    POOR = "poor", _("Poor")
    GOOD = "good", _("Good")
    EXCELLENT = "excellent", _("Excellent")


def _rate(name: str, verbose: StrOrPromise) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=7, decimal_places=4, null=True, blank=True)


class Scorecard(models.Model):
    """A supplier's scorecard for one day (China's date) over the rolling window before it (SPEC,
    "Scorecard"): each component's counts, its score (None: no activity, not scored), and the
    overall score with its standing. One row a supplier a day: recomputing on demand replaces
    that day's row; earlier days are the history.

    Components (the counts behind them, then the score 0-100):
    - on_time: JIT orders due in the window shipped within their deadline, and stocking orders
      due shipped before expiry (`on_time_due`, `on_time_ok`);
    - quality: lots inspected at the warehouse and lots rejected (`inspected_lots`,
      `rejected_lots`);
    - returns: units sold and units returned (`units_sold`, `units_returned`);
    - return_defects: returned units inspected and those found defective (`returns_inspected`,
      `returns_defective`);
    - lab_pass: lab test results and passes (`lab_tests`, `lab_passed`);
    - corrective: open corrective actions (`open_corrective_actions`), scored once the supplier
      has had a factory audit (`audited`).

    `score` judges each rate by the pessimistic end of its Wilson interval (lower bound for a
    good rate, upper for a bad one); `score_high` by the optimistic end. The standing rule
    (scorecards.selectors.standing_for) uses both, so thin evidence neither earns "excellent"
    nor sinks a new supplier."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="scorecards")
    day = models.DateField(_("day"), default=suppliers_today)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2, null=True, blank=True)
    score_high = models.DecimalField(
        _("score at best"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    standing = models.CharField(
        _("standing"), max_length=10, choices=Standing.choices, default=Standing.NEW
    )
    # Point rates (None: no activity), kept for the readers that compare them with thresholds
    # (a tender's maximum return rate, compliance sampling).
    on_time_rate = _rate("on_time_rate", _("on-time shipment rate"))
    return_rate = _rate("return_rate", _("return rate"))

    on_time_due = models.PositiveIntegerField(_("shipments due"), default=0)
    on_time_ok = models.PositiveIntegerField(_("shipped on time"), default=0)
    inspected_lots = models.PositiveIntegerField(_("lots inspected"), default=0)
    rejected_lots = models.PositiveIntegerField(_("lots rejected"), default=0)
    units_sold = models.PositiveIntegerField(_("units sold"), default=0)
    units_returned = models.PositiveIntegerField(_("units returned"), default=0)
    returns_inspected = models.PositiveIntegerField(_("returned units inspected"), default=0)
    returns_defective = models.PositiveIntegerField(_("returned units defective"), default=0)
    lab_tests = models.PositiveIntegerField(_("lab tests"), default=0)
    lab_passed = models.PositiveIntegerField(_("lab tests passed"), default=0)
    open_corrective_actions = models.PositiveIntegerField(_("open corrective actions"), default=0)
    audited = models.BooleanField(_("audited"), default=False)

    on_time_score = _rate("on_time_score", _("on-time score"))
    quality_score = _rate("quality_score", _("quality score"))
    returns_score = _rate("returns_score", _("returns score"))
    return_defects_score = _rate("return_defects_score", _("defects of returns score"))
    lab_pass_score = _rate("lab_pass_score", _("lab pass score"))
    corrective_score = _rate("corrective_score", _("corrective actions score"))

    class Meta:
        ordering = ["supplier", "-day"]
        indexes = [models.Index(fields=["supplier", "-day"], name="scorecard_latest")]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "day"], name="scorecard_one_a_day"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                name="score_0_to_100",
            ),
        ]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")

    def __str__(self) -> str:
        return f"{self.supplier} · {date_format(self.day)}"
