"""Celery entry points of the logistics app."""

from __future__ import annotations

from celery import shared_task

from .services.inbound.stocking import lapse_stocking_orders
from .services.overstock import offer_overstock
from .services.quarantine import quarantine_for_cases


@shared_task
def lapse_stocking_orders_task() -> str:
    return f"{lapse_stocking_orders()} stocking orders lapsed"


@shared_task
def offer_overstock_task() -> str:
    return f"{offer_overstock()} overstock offers made"


@shared_task
def quarantine_for_cases_task() -> str:
    return f"{quarantine_for_cases()} quarantines made or released"
