"""The Celery app. Workers and beat start with `celery -A marketplace worker|beat`.

The periodic jobs are defined in `marketplace.schedule` and copied into django-celery-beat's
tables on migrate, where an operator can pause or retime them in the admin.
"""

import os
from collections.abc import Iterable
from typing import Any

from celery import Celery, Signature, Task
from celery.signals import task_postrun, task_prerun, worker_init

from marketplace.logging import bind_task_id, unbind_task_id

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

app = Celery("marketplace")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The schedule lives in the database (see marketplace.schedule); nothing is read from here, so
# a beat restart never overwrites an operator's change.
app.conf.beat_schedule = {}
app.autodiscover_tasks()

task_prerun.connect(bind_task_id, weak=False)
task_postrun.connect(unbind_task_id, weak=False)


@worker_init.connect
def refuse_without_a_database(**_: Any) -> None:
    """A worker (here) or beat (its scheduler, marketplace/beat.py) with DEBUG off and no
    DATABASE_URL stops (marketplace/startup.py). SystemExit, because Celery logs and swallows
    an Exception raised in a signal handler."""
    from django.core.exceptions import ImproperlyConfigured

    from marketplace.startup import require_database_url

    try:
        require_database_url()
    except ImproperlyConfigured as error:
        raise SystemExit(f"ImproperlyConfigured: {error}") from error


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """The one way app code enqueues a task: after the current transaction commits (at once
    when there is none), so a worker never sees a change that might still roll back, and a
    rolled-back change enqueues nothing. `tests/test_conventions.py` keeps it the only way."""
    from django.db import transaction

    transaction.on_commit(lambda: task.apply_async(args=args, kwargs=kwargs))


def enqueue_group_on_commit(signatures: Iterable[Signature]) -> None:
    """Several tasks sent together as a Celery group, after the current transaction commits
    (as enqueue_on_commit). A group only sends; nothing waits for its members here (no chord:
    whoever needs to know they are all done counts that in the database)."""
    from celery import group
    from django.db import transaction

    tasks = group(list(signatures))
    if tasks.tasks:
        transaction.on_commit(lambda: tasks.apply_async())
