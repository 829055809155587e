"""The markets the platform sells in, and each market's currency. In the base because every app
speaks of markets: the catalogue's prices, compliance programmes, customs rules."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Market(models.TextChoices):
    US = "US", _("United States")
    EU = "EU", _("European Union")
    UK = "UK", _("United Kingdom")
    CA = "CA", _("Canada")
    AU = "AU", _("Australia")
    JP = "JP", _("Japan")


MARKET_CURRENCY = {"US": "USD", "EU": "EUR", "UK": "GBP", "CA": "CAD", "AU": "AUD", "JP": "JPY"}
