"""Celery entry points of the orders app."""

from __future__ import annotations

from celery import shared_task

from .services.idempotency import purge_idempotency_keys
from .services.sweep import sweep_jit_deadlines


@shared_task
def sweep_jit_deadlines_task() -> str:
    return str(sweep_jit_deadlines())


@shared_task
def purge_idempotency_keys_task() -> str:
    return f"{purge_idempotency_keys()} idempotency keys purged"
