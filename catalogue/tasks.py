"""Celery entry points of the catalogue: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.tenders import tenders_close_due


@shared_task
def close_due_tenders() -> int:
    return tenders_close_due()


@shared_task
def listings_follow_corrective_actions_task() -> int:
    from .services.corrective_pauses import listings_follow_corrective_actions

    followed = listings_follow_corrective_actions()
    return followed.paused + followed.restored
