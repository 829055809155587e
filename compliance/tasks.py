"""Celery entry points of compliance: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.audits import action_reminders_send


@shared_task
def action_reminders_send_task() -> int:
    return action_reminders_send()
