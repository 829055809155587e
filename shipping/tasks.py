"""Celery entry points of shipping: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.customs import customs_decide_due


@shared_task
def customs_decide_due_task() -> str:
    """Decide the customs of parcels without a decision or whose ship date moved."""
    return f"{customs_decide_due()} customs decisions"
