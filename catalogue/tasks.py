"""Celery entry points of the catalogue: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.tenders import tenders_close_due


@shared_task
def close_due_tenders() -> int:
    return tenders_close_due()
