"""Celery entry points of returns: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from marketplace.jobs import tracked_job

from .services.return_rate import return_rates_compute


@shared_task
def return_rates_task() -> str:
    """Daily: the listings' 30-day return rates and their breaches (a job run operators watch:
    its progress counts the listings rated, then the listings judged over a threshold)."""
    with tracked_job("return_rates") as job:
        job.summary = str(return_rates_compute(progress=job))
    return job.summary
