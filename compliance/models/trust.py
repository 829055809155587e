"""The public trust page of a live listing: an unguessable address (printed as a QR code) that
shows the product's verified passing tests and nothing private."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(18)


class TrustPage(models.Model):
    listing = models.OneToOneField(
        "catalogue.Listing",
        on_delete=models.CASCADE,
        related_name="trust_page",
        verbose_name=_("listing"),
    )
    token = models.CharField(
        _("token"), max_length=40, unique=True, default=new_token, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("trust page")
        verbose_name_plural = _("trust pages")

    def __str__(self) -> str:
        return f"Trust page of listing {self.listing_id}"
