"""Celery entry points of scorecards: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from marketplace.jobs import tracked_job

from .services.compute import compute_scorecards


@shared_task
def compute_scorecards_task() -> str:
    """Nightly, and on demand from the admin: every trading supplier's scorecard for China's
    today (a job run operators watch: its progress counts the suppliers scored)."""
    with tracked_job("scorecards") as job:
        job.summary = str(compute_scorecards(job=job))
    return job.summary
