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

# The countries (ISO 3166 alpha-2) a consumer in each market lives in.
EU_MEMBER_STATES = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    }
)  # fmt: skip
MARKET_COUNTRIES: dict[str, frozenset[str]] = {
    "US": frozenset({"US"}),
    "EU": EU_MEMBER_STATES,
    "UK": frozenset({"GB"}),
    "CA": frozenset({"CA"}),
    "AU": frozenset({"AU"}),
    "JP": frozenset({"JP"}),
}
# Where a consumer lives when the storefront does not say (none for the EU: it must say).
MARKET_DEFAULT_COUNTRY: dict[str, str] = {
    "US": "US",
    "UK": "GB",
    "CA": "CA",
    "AU": "AU",
    "JP": "JP",
}

# Currencies without minor units (ISO 4217 exponent 0): amounts are whole.
WHOLE_UNITS = frozenset({"JPY"})
