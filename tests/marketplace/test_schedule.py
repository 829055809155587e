from __future__ import annotations

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from marketplace.schedule import PERIODIC_JOBS, install_periodic_tasks

pytestmark = pytest.mark.django_db


# Each job's expiry, shorter than the time between two of its runs, so a backlog never fires in
# a burst.
EXPECTED = {
    "dispatch-webhooks": ("marketplace.tasks.dispatch_webhooks", 54),
    "close-due-tenders": ("catalogue.tasks.close_due_tenders", 54),
    "sweep-jit-deadlines": ("orders.tasks.sweep_jit_deadlines_task", 54),
    "clear-expired-sessions": ("marketplace.tasks.clear_expired_sessions", 23 * 3600),
    "lapse-stocking-orders": ("logistics.tasks.lapse_stocking_orders_task", 3240),
    "offer-overstock": ("logistics.tasks.offer_overstock_task", 23 * 3600),
    "purge-idempotency-keys": ("orders.tasks.purge_idempotency_keys_task", 23 * 3600),
    "send-capa-reminders": ("compliance.tasks.action_reminders_send_task", 23 * 3600),
    "listings-follow-corrective-actions": (
        "catalogue.tasks.listings_follow_corrective_actions_task",
        270,
    ),
    "draw-test-purchases": ("logistics.tasks.draw_test_purchases_task", 23 * 3600),
    "open-enforcement-cases": ("compliance.tasks.open_enforcement_cases", 54),
    "quarantine-for-cases": ("logistics.tasks.quarantine_for_cases_task", 270),
    "compliance-expiry": ("compliance.tasks.compliance_expiry_task", 23 * 3600),
    "flag-late-parcels": ("shipping.tasks.parcels_flag_late_task", 3240),
    "recheck-held-parcels": ("shipping.tasks.parcels_recheck_holds_task", 810),
    "return-rates": ("returns.tasks.return_rates_task", 23 * 3600),
    "decide-parcel-customs": ("shipping.tasks.customs_decide_due_task", 810),
    "expire-restock-proposals": ("restock.tasks.expire_proposals_task", 3240),
    "plan-restock": ("restock.tasks.plan_restock_task", 23 * 3600),
    "resume-restock-plans": ("restock.tasks.plan_resume_task", 54),
    "compute-scorecards": ("scorecards.tasks.compute_scorecards_task", 23 * 3600),
}


def test_migrate_installs_every_periodic_job_with_an_expiry():
    installed = {
        task.name: (task.task, task.expire_seconds)
        for task in PeriodicTask.objects.exclude(name="celery.backend_cleanup")
    }
    assert installed == EXPECTED
    assert all(task.enabled for task in PeriodicTask.objects.all())


def test_a_job_must_say_how_it_is_scheduled_and_when_it_expires():
    from datetime import timedelta

    from marketplace.schedule import PeriodicJob

    with pytest.raises(ValueError, match="either"):
        PeriodicJob(name="x", task="t", description="")
    with pytest.raises(ValueError, match="expires"):
        PeriodicJob(name="x", task="t", description="", crontab={"minute": "*/5"})
    assert (
        PeriodicJob(name="x", task="t", description="", every=timedelta(minutes=5)).expire_seconds
        == 270
    )


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
