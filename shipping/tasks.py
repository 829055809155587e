"""Celery entry points of the shipping app."""

from __future__ import annotations

from celery import shared_task

from .services.holds import parcels_recheck_holds


@shared_task
def parcels_recheck_holds_task() -> str:
    return f"{parcels_recheck_holds()} held parcels released"
