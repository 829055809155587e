"""Celery entry points of compliance: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from marketplace.jobs import tracked_job

from .models import listing_model
from .services.audits import action_reminders_send
from .services.enforcement import cases_open_for_failures
from .services.expiry import (
    refresh_listing_market_status,
    send_expiry_warnings,
)


@shared_task
def action_reminders_send_task() -> int:
    return action_reminders_send()


@shared_task
def open_enforcement_cases() -> str:
    return f"{cases_open_for_failures()} enforcement cases opened"


@shared_task
def compliance_expiry_task() -> str:
    """Daily: warn of records about to expire, then record lapses and restorations (a job run
    operators watch: its progress counts the live listings checked)."""
    with tracked_job("compliance_expiry") as job:
        warned = send_expiry_warnings()
        lapsed, restored = refresh_listing_market_status(progress=job)
        job.summary = f"{warned} expiry warnings, {lapsed} lapsed, {restored} restored"
    return job.summary


@shared_task
def refresh_compliance_status_task(listing_ids: list[int]) -> str:
    """Right after a record changed: refresh the answer of the listings it concerns."""
    lapsed, restored = refresh_listing_market_status(
        listing_model().objects.filter(pk__in=listing_ids)
    )
    return f"{lapsed} lapsed, {restored} restored"
