"""Celery entry points of restock: take ids or nothing, call a service.

The planning run's progress and completion live in PostgreSQL (restock.services.runs), so these
tasks keep no results (`ignore_result`): nothing waits on them through the result backend.
A chunk runs in the worker's own process: nothing in it starts a child process (statsforecast
with n_jobs=1), which a prefork worker's child may not do and which would only fight the other
workers for the machine's cores."""

from __future__ import annotations

from celery import shared_task

from accounts.models import User

from .services.proposals import expire_proposals
from .services.runs import plan_chunk_run, plan_resume, plan_start


@shared_task(ignore_result=True)
def plan_restock_task(actor_id: int | None = None) -> str:
    """Nightly (beat) and on demand: start a planning run; its chunks go to the workers."""
    actor = None if actor_id is None else User.objects.filter(pk=actor_id).first()
    run = plan_start(actor=actor)
    return f"run {run.pk}: {run.total} listings"


@shared_task(
    ignore_result=True,
    autoretry_for=(Exception,),
    max_retries=3,
    retry_backoff=5,
    retry_backoff_max=60,
    retry_jitter=True,
)
def plan_chunk_task(chunk_id: int) -> int:
    """One chunk of a planning run. A failure is kept on the chunk and retried alone (3 times,
    5 s, 10 s, 20 s apart with jitter); after that plan_resume sends it again once it is stale.
    Acknowledged late (CELERY_TASK_ACKS_LATE): a worker killed mid-chunk leaves its message
    unacknowledged, which Redis hands out again after the visibility timeout; long before that
    plan_resume has sent the chunk again, and whichever delivery comes second finds it done."""
    return plan_chunk_run(chunk_id)


@shared_task(ignore_result=True)
def plan_resume_task() -> str:
    """Every minute (beat): re-send stale chunks and finish complete runs."""
    return str(plan_resume())


@shared_task
def expire_proposals_task() -> str:
    """Hourly: open restock proposals past their expiry, not snoozed, expire."""
    return f"{expire_proposals()} restock proposals expired"
