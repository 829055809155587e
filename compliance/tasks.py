"""Celery entry points of the compliance app: thin, each calling one service."""

from __future__ import annotations

from celery import shared_task

from .services.enforcement import cases_open_for_failures


@shared_task
def open_enforcement_cases() -> str:
    return f"{cases_open_for_failures()} enforcement cases opened"
