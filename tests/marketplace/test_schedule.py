from __future__ import annotations

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from marketplace.schedule import PERIODIC_JOBS, install_periodic_tasks

pytestmark = pytest.mark.django_db


def test_migrate_installs_every_periodic_job_with_an_expiry():
    for job in PERIODIC_JOBS:
        task = PeriodicTask.objects.get(name=job.name)
        assert task.task == job.task
        assert task.enabled
        # Expires before the next run, so a backlog never fires in a burst.
        assert 0 < task.expire_seconds < job.period.total_seconds()


def test_an_operators_change_survives_reinstalling():
    job = PERIODIC_JOBS[0]
    other_time = CrontabSchedule.objects.create(minute="0", hour="5")
    PeriodicTask.objects.filter(name=job.name).update(enabled=False, crontab=other_time)
    install_periodic_tasks()
    task = PeriodicTask.objects.get(name=job.name)
    assert task.enabled is False
    assert task.crontab_id == other_time.pk


def test_a_deleted_job_comes_back_on_the_next_migrate():
    PeriodicTask.objects.filter(name=PERIODIC_JOBS[0].name).delete()
    install_periodic_tasks()
    assert PeriodicTask.objects.filter(name=PERIODIC_JOBS[0].name).exists()


def test_every_job_names_a_registered_task():
    from marketplace.celery import app

    app.loader.import_default_modules()
    for job in PERIODIC_JOBS:
        assert job.task in app.tasks, job.task
