"""Celery entry points of the project package: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone

from .jobs import tracked_job
from .webhooks import dispatch_due


@shared_task
def clear_expired_sessions() -> int:
    with tracked_job("clear_expired_sessions") as job:
        deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
        job.advance(deleted)
        job.summary = f"expired sessions deleted: {deleted}"
    return deleted


@shared_task
def dispatch_webhooks() -> int:
    return dispatch_due()
