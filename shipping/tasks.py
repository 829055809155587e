"""Celery entry points of the shipping app."""

from __future__ import annotations

from celery import shared_task

from .services.late import parcels_flag_late


@shared_task
def parcels_flag_late_task() -> str:
    return f"{parcels_flag_late()} parcels flagged late"
