"""How the admin writes money and times for people: one way, on every list, page and figure.

Money is "20,000.00 CNY" (grouped in thousands, two decimals, the currency code after) in every
language, so a figure reads the same to every operator. Times are shown in the operator's zone
(activated per request by accounts.middleware) with the zone named: the formats in
marketplace/formats end in "T". CSV exports stay plain numbers and ISO times.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.utils import dateformat, formats, timezone
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import get_language

from .markets import WHOLE_UNITS

EMPTY = "-"
CNY = "CNY"


def amount(value: Decimal | int | float | str | None) -> str:
    """20000 -> "20,000.00", where the currency is said beside it (a column's header); None (or
    not a number) -> "-"."""
    if value is None or value == "":
        return EMPTY
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return EMPTY
    return f"{number:,.2f}"


def money(value: Decimal | int | float | str | None, currency: str = CNY) -> str:
    """20000 -> "20,000.00 CNY"; a currency without minor units whole ("1,894 JPY"); None (or
    not a number) -> "-"."""
    shown = amount(value)
    if shown == EMPTY:
        return shown
    if currency in WHOLE_UNITS:
        shown = f"{Decimal(str(value)):,.0f}"
    return f"{shown} {currency}"


def when(
    value: datetime | str | None, *, zone: tzinfo | None = None, format: str | None = None
) -> str:
    """A moment for people: in `zone` (the active zone by default), as the admin shows a stored
    one ("1 Mar 2026, 14:05 CST", zone named) or in `format` (Django's date format letters).
    An ISO text (a time kept in an event payload or a penalty's evidence) is parsed first, and
    shown as it is when it is not a time; a naive time is UTC (what storage holds); None -> "-".
    The one time formatter: the portal's `local_time` wraps it."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
    elif value is None:
        return EMPTY
    else:
        parsed = value
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    moment = timezone.localtime(parsed, zone)
    if format is not None:
        return dateformat.format(moment, format)
    return str(formats.localize(moment))


def suppliers_today(now: datetime | None = None) -> date:
    """The calendar day where the suppliers are (PORTAL_TIME_ZONE, China), whoever asks and in
    whatever zone the request runs: due dates, pickup runs and days left count in it."""
    return timezone.localdate(now, timezone=zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE))


def money_html(amount: Any, currency: str = CNY) -> str:
    """`money` kept on one line in a table cell (and right-aligned there, backoffice.css)."""
    return format_html('<span class="money">{}</span>', money(amount, currency))


def money_display(
    field: str,
    description: str | Promise,
    *,
    currency: str = CNY,
    ordering: str | None = None,
) -> Callable[[Any, Any], str]:
    """An admin column or read-only field showing `field` (`a__b` follows a relation) as money.
    Use it as a class attribute: `amount_shown = money_display("amount", _("amount"))`."""
    value_of = attrgetter(field.replace("__", "."))

    def value(obj: Any) -> Any:
        try:
            return value_of(obj)
        except AttributeError:
            return None

    def show(model_admin: Any, obj: Any) -> str:
        return money_html(value(obj), currency)

    # What admin.display sets; this module is also imported while the models load, before the
    # admin may be.
    show.short_description = description  # type: ignore[attr-defined]
    show.admin_order_field = ordering or field  # type: ignore[attr-defined]
    # For CSV exports (marketplace.admin_export): the plain number, the currency in the header.
    show.money_value = value  # type: ignore[attr-defined]
    show.export_description = format_lazy("{} ({})", description, currency)  # type: ignore[attr-defined]
    return show


def local_name(name_en: str, name_zh: str) -> str:
    """A name kept in both languages, in the reader's: the Chinese one in Chinese."""
    if (get_language() or "").startswith("zh") and name_zh:
        return name_zh
    return name_en or name_zh
