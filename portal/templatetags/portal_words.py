"""Template filters over portal.wording: codes and figures into the reader's words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from catalogue.models import Category, Product
from logistics.models import Warehouse, carrier_label
from marketplace import formatting
from orders.models import Penalty
from shipping.selectors.parcels import status_label

from .. import wording

register = template.Library()


@register.filter
def penalty_case(penalty: Penalty) -> str:
    return wording.penalty_case(penalty)


@register.filter
def with_zone(value: datetime | None, seconds: bool = False) -> str:
    """ "2026-03-01 14:05 China time"; `|with_zone:True` adds the seconds."""
    return wording.local_time(value, seconds=bool(seconds))


@register.filter
def amount(value: Any) -> str:
    """Money as every door shows it, "20,000.00"; the currency stands beside it or in the
    column's header."""
    return formatting.amount(value)


@register.filter
def carrier(value: str) -> str:
    return carrier_label(value)


@register.filter
def category_name(category: Category | None) -> str:
    """A category by its name in the reader's language, never its code."""
    return "" if category is None else formatting.local_name(category.name_en, category.name_zh)


@register.filter
def warehouse_name(value: Warehouse | None) -> str:
    return wording.warehouse_name(value)


@register.filter
def field_errors(errors: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The error summary's items that belong to a field on the page (they have an anchor)."""
    return [item for item in errors if item[1]]


@register.filter
def form_errors(errors: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The error summary's items that belong to no field: said in the summary alone."""
    return [item for item in errors if not item[1]]


@register.filter
def product_title(product: Product | None) -> str:
    return wording.product_title(product)


@register.filter
def parcel_status(value: str) -> str:
    """A parcel's state in the reader's language ("Created" as a state, not a time)."""
    return status_label(value)


@register.filter
def percent(value: Any) -> str:
    """A rate kept as a fraction as a percentage: 0.0950 → "9.5%"."""
    return wording.percent(value)
