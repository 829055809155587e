"""Celery entry points of the logistics app."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User
from marketplace.jobs import tracked_job

from .services.inbound.stocking import lapse_stocking_orders
from .services.overstock import offer_overstock
from .services.quarantine import quarantine_for_cases
from .services.test_purchases import sampling_draw


@shared_task
def lapse_stocking_orders_task() -> str:
    return f"{lapse_stocking_orders()} stocking orders lapsed"


@shared_task
def offer_overstock_task() -> str:
    return f"{offer_overstock()} overstock offers made"


@shared_task
def quarantine_for_cases_task() -> str:
    return f"{quarantine_for_cases()} quarantines made or released"


@shared_task
def draw_test_purchases_task(actor_id: int | None = None) -> str:
    """The day's sampling draw (a no-op once drawn), with its progress in a JobRun."""
    actor = None if actor_id is None else User.objects.get(pk=actor_id)
    with tracked_job("draw_test_purchases") as job:
        draw = sampling_draw(actor=actor, progress=job)
        job.summary = (
            f"draw {draw.drawn_on}: {draw.requests.count()} picked of {draw.candidates} "
            f"candidates, {draw.spent_cny} of {draw.allowance_cny} CNY"
        )
    return job.summary
