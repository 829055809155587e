"""Celery entry points of compliance: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.audits import action_reminders_send
from .services.enforcement import cases_open_for_failures


@shared_task
def action_reminders_send_task() -> int:
    return action_reminders_send()


@shared_task
def open_enforcement_cases() -> str:
    return f"{cases_open_for_failures()} enforcement cases opened"
