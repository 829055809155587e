"""People and programs that may use the back-office.

- `User`: operators, compliance officers and finance (staff, with a role group), supplier users
  (through a supplier membership), and one service account per integrator.
- `ApiClient`: an integrator (storefront, carrier, lab) with the scopes it may use.
- `ApiKey`: a secret that authenticates as a user: an integrator's service account or a supplier
  user. Stored only as a SHA-256 hash; the plain key is shown once, when it is issued.
"""

from __future__ import annotations

import hashlib
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    # Blank: DEFAULT_OPERATOR_TIME_ZONE. The admin shows this user every time in it
    # (accounts.middleware); operators change it under "My preferences".
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("The admin shows you every time in this zone; blank for the default."),
    )

    def operator_time_zone(self) -> zoneinfo.ZoneInfo:
        """The zone the admin shows this user times in; an unknown name falls back to the
        default rather than failing every page."""
        for name in (self.time_zone, settings.DEFAULT_OPERATOR_TIME_ZONE):
            if name:
                try:
                    return zoneinfo.ZoneInfo(name)
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    continue
        return zoneinfo.ZoneInfo("UTC")


class Scope(models.TextChoices):
    READ = "read", _("Read")
    ORDERS_WRITE = "orders:write", _("Write orders")
    TRACKING_WRITE = "tracking:write", _("Write tracking events")
    SIGNALS_WRITE = "signals:write", _("Write demand signals")
    LABS_WRITE = "labs:write", _("Write lab results")
    FINANCE_WRITE = "finance:write", _("Record top-ups and read every ledger")


# Not an integrator scope: what a supplier user (its own key or portal session) holds. Views for
# a supplier's own records require it, and scope their queries to that supplier.
SUPPLIER = "supplier"
SUPPLIER_SCOPES = frozenset({Scope.READ.value, SUPPLIER})


class ApiClient(models.Model):
    class Kind(models.TextChoices):
        STOREFRONT = "storefront", _("Storefront")
        CARRIER = "carrier", _("Carrier")
        LAB = "lab", _("Test lab")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    contact_email = models.EmailField(_("contact email"), blank=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Unticking this rejects every key at once.")
    )
    # Every request an integrator makes acts as this user, so actors in audit rows are users.
    user = models.OneToOneField(
        User, on_delete=models.PROTECT, related_name="api_client", editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    PREFIX = "mk"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=120)
    # The public part of the key, used to find it; the rest is only ever compared by hash.
    lookup = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.PREFIX}_{self.lookup}_…)"

    @staticmethod
    def hash(plain_key: str) -> str:
        # Keys are 256-bit random strings, so a plain SHA-256 is not open to guessing; a slow
        # password hash would only slow down every API request.
        return hashlib.sha256(plain_key.encode()).hexdigest()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
