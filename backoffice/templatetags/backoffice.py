"""`{% load backoffice %}`: the admin's money and time formats in templates
(marketplace.formatting)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from marketplace import formatting, jobs

register = template.Library()


@register.filter
def money(amount: Any, currency: str = formatting.CNY) -> str:
    """{{ amount|money }} -> "20,000.00 CNY"; {{ price.amount|money:price.currency }}."""
    return formatting.money(amount, currency or formatting.CNY)


@register.filter
def when(value: datetime | None) -> str:
    """{{ time|when }}: in the operator's zone, the zone named."""
    return formatting.when(value)


@register.filter
def local_name(named: Any) -> str:
    """{{ supplier|local_name }}: its Chinese name in Chinese, else its English one."""
    return formatting.local_name(named.name_en, named.name_zh)


@register.filter
def job_label(name: str) -> str:
    """{{ run.name|job_label }}: what the job did, in words."""
    return jobs.job_label(name)
