"""Beat's scheduler: django-celery-beat's database scheduler, which first checks that beat may
start (marketplace/startup.py).

Beat builds its scheduler for the start-up banner, before it sends `beat_init`, and the
database scheduler reads its tables at once; so the check runs here, before the first query,
or a beat without DATABASE_URL would create and read an empty SQLite file of its own.
"""

from __future__ import annotations

from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler


class Scheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from marketplace.celery import refuse_without_a_database

        refuse_without_a_database()
        super().__init__(*args, **kwargs)
