"""The periodic jobs, defined once in code.

`install_periodic_tasks` runs after every `migrate` and creates the django-celery-beat entry of
any job that has none yet. It never changes an existing entry, so an operator who pauses or
retimes a job in the admin keeps that change across deployments and beat restarts.

Each entry expires before its next run: if workers fall behind, stale runs are dropped instead of
firing in a burst. No business deadline is held in a queued message: deadlines live in the
database and the sweeps find them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class PeriodicJob:
    """A job run `every` interval, or on a `crontab`; `expires` must be shorter than the time
    between two runs (for an interval it defaults to 90% of it; a crontab job must say)."""

    name: str
    task: str
    description: str
    every: timedelta | None = None
    crontab: dict[str, str] = field(default_factory=dict)
    expires: timedelta | None = None

    def __post_init__(self) -> None:
        if (self.every is None) == (not self.crontab):
            raise ValueError(f"{self.name}: give either `every` or `crontab`")
        if self.every is None and self.expires is None:
            raise ValueError(f"{self.name}: a crontab job must say when a run expires")

    @property
    def expire_seconds(self) -> int:
        if self.expires is not None:
            return int(self.expires.total_seconds())
        assert self.every is not None
        return max(1, int(self.every.total_seconds() * 0.9))


PERIODIC_JOBS: list[PeriodicJob] = [
    PeriodicJob(
        name="dispatch-webhooks",
        task="marketplace.tasks.dispatch_webhooks",
        description="Send due webhook deliveries and retries (every minute).",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="sweep-jit-deadlines",
        task="orders.tasks.sweep_jit_deadlines_task",
        description="Assess due JIT penalties and send shipping reminders (every minute).",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="close-due-tenders",
        task="catalogue.tasks.close_due_tenders",
        description="Close and award tenders whose closing time has passed (every minute).",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="lapse-stocking-orders",
        task="logistics.tasks.lapse_stocking_orders_task",
        description="Lapse stocking orders past their expiry with nothing shipped (hourly).",
        every=timedelta(hours=1),
    ),
    PeriodicJob(
        name="offer-overstock",
        task="logistics.tasks.offer_overstock_task",
        description="Offer stock unsold for OVERSTOCK_DAYS back to its supplier (daily).",
        crontab={"minute": "10", "hour": "4"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="draw-test-purchases",
        task="logistics.tasks.draw_test_purchases_task",
        description="Draw the day's risk-weighted test purchases within the sampling budget "
        "(daily; one draw a day).",
        crontab={"minute": "20", "hour": "5"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="purge-idempotency-keys",
        task="orders.tasks.purge_idempotency_keys_task",
        description="Forget storefront Idempotency-Keys older than IDEMPOTENCY_KEY_DAYS (daily).",
        crontab={"minute": "40", "hour": "3"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="open-enforcement-cases",
        task="compliance.tasks.open_enforcement_cases",
        description="Open an enforcement case for each failed test with none (every minute).",
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="quarantine-for-cases",
        task="logistics.tasks.quarantine_for_cases_task",
        description="Quarantine the stock of lots that failed a test; release it for "
        "overturned cases (every 5 minutes).",
        every=timedelta(minutes=5),
    ),
    PeriodicJob(
        name="compliance-expiry",
        task="compliance.tasks.compliance_expiry_task",
        description="Warn suppliers of required tests and certificates about to expire "
        "(COMPLIANCE_EXPIRY_WARNING_DAYS) and record listings lapsed or restored per market "
        "(daily).",
        crontab={"minute": "20", "hour": "2"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="clear-expired-sessions",
        task="marketplace.tasks.clear_expired_sessions",
        description="Delete expired login sessions (daily).",
        crontab={"minute": "30", "hour": "3"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="send-capa-reminders",
        task="compliance.tasks.action_reminders_send_task",
        description=(
            "Remind suppliers CAPA_REMINDER_DAYS before a corrective action is due (daily, "
            "09:20 China time)."
        ),
        crontab={"minute": "20", "hour": "1"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="listings-follow-corrective-actions",
        task="catalogue.tasks.listings_follow_corrective_actions_task",
        description=(
            "Pause listings under an overdue critical corrective action; restore them when it "
            "closes (every 5 minutes)."
        ),
        every=timedelta(minutes=5),
    ),
    PeriodicJob(
        name="recheck-held-parcels",
        task="shipping.tasks.parcels_recheck_holds_task",
        description="Release held parcels whose listing the compliance answer now lets ship to "
        "their market (every 15 minutes).",
        every=timedelta(minutes=15),
    ),
    PeriodicJob(
        name="flag-late-parcels",
        task="shipping.tasks.parcels_flag_late_task",
        description="Flag parcels not delivered DELIVERY_TARGET_DAYS after pickup (hourly).",
        every=timedelta(hours=1),
    ),
    PeriodicJob(
        name="return-rates",
        task="returns.tasks.return_rates_task",
        description=(
            "Rate each listing's returns over the last RETURN_RATE_WINDOW_DAYS; warn, or pause "
            "and fine, over RETURN_RATE_LIMIT / RETURN_RATE_PAUSE; end breaches that fell back "
            "(daily, 06:30 China time)."
        ),
        crontab={"minute": "30", "hour": "22"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="decide-parcel-customs",
        task="shipping.tasks.customs_decide_due_task",
        description=(
            "Decide the customs of parcels without a decision, or whose ship date moved, by the "
            "rules in force on their ship date (every 15 minutes)."
        ),
        every=timedelta(minutes=15),
    ),
    PeriodicJob(
        name="expire-restock-proposals",
        task="restock.tasks.expire_proposals_task",
        description="Expire open restock proposals past their expiry and not snoozed (hourly).",
        every=timedelta(hours=1),
    ),
    PeriodicJob(
        name="plan-restock",
        task="restock.tasks.plan_restock_task",
        description=(
            "Forecast every fully-managed listing's demand and propose its restock, in chunks "
            "shared by the workers (daily, 02:30 China time)."
        ),
        crontab={"minute": "30", "hour": "18"},
        expires=timedelta(hours=23),
    ),
    PeriodicJob(
        name="resume-restock-plans",
        task="restock.tasks.plan_resume_task",
        description=(
            "Send again the planning chunks not done RESTOCK_CHUNK_STALE_SECONDS after they "
            "were sent, and finish the runs whose chunks are all done (every minute)."
        ),
        every=timedelta(minutes=1),
    ),
    PeriodicJob(
        name="compute-scorecards",
        task="scorecards.tasks.compute_scorecards_task",
        description=(
            "Compute every trading supplier's scorecard over the last SCORECARD_WINDOW_DAYS and "
            "tell those whose standing changed (daily, 07:10 China time, after the return rates)."
        ),
        crontab={"minute": "10", "hour": "23"},
        expires=timedelta(hours=23),
    ),
]


def install_periodic_tasks(using: str = "default", **_: Any) -> None:
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    for job in PERIODIC_JOBS:
        if PeriodicTask.objects.using(using).filter(name=job.name).exists():
            continue
        schedule: dict[str, Any]
        if job.every is not None:
            interval, _created = IntervalSchedule.objects.using(using).get_or_create(
                every=int(job.every.total_seconds()), period=IntervalSchedule.SECONDS
            )
            schedule = {"interval": interval}
        else:
            cron_fields = {
                "minute": "*",
                "hour": "*",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
                **job.crontab,
            }
            crontab = CrontabSchedule.objects.using(using).filter(**cron_fields).first()
            if crontab is None:
                crontab = CrontabSchedule.objects.using(using).create(**cron_fields)
            schedule = {"crontab": crontab}
        PeriodicTask.objects.using(using).create(
            name=job.name,
            task=job.task,
            description=job.description,
            expire_seconds=job.expire_seconds,
            **schedule,
        )
