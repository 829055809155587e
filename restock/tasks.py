"""Celery entry points of restock: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.proposals import expire_proposals


@shared_task
def expire_proposals_task() -> str:
    """Hourly: open restock proposals past their expiry, not snoozed, expire."""
    return f"{expire_proposals()} restock proposals expired"
