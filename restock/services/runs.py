"""The planning run (SPEC, "Demand-driven restock"): every eligible fully-managed listing's
forecast and proposal, nightly from beat and on demand, split into chunks that several Celery
workers take in parallel.

A run is a JobRun named "restock_plan" (its total is the listings to plan, its done the
listings of the chunks done) and its PlanChunk rows, contiguous ranges of listing ids:

- `plan_start` rolls the platform's own consumer orders up into the demand signals, splits the
  eligible listings into chunks (one INSERT ... SELECT) and, once that has committed, sends one
  `plan_chunk_task` a chunk (a Celery group).
- `plan_chunk_run` (the task's body) plans one chunk: a chunk already done returns at once; its
  forecasts and proposals (restock.services.planning.plan_chunk, idempotent) and the chunk's
  `done_at` commit together, `done_at` by a conditional UPDATE (done_at IS NULL). Only the
  delivery whose UPDATE hit a row advances the run's progress, so a chunk delivered twice, or
  run by a retry while its first try is still going, counts once.
- `plan_finish` ends the run once: a conditional UPDATE running -> succeeded WHERE no chunk of
  the run is pending. Two chunks finishing at the same moment both call it; PostgreSQL lets one
  UPDATE hit the row, and only that caller writes the summary.
- `plan_resume` (beat, every minute) re-sends the chunks sent more than
  RESTOCK_CHUNK_STALE_SECONDS ago and still not done (a worker killed mid-chunk, a broker that
  restarted empty and lost the queue, a chunk whose retries ran out) and finishes runs whose
  chunks are all done.

Completion is counted in PostgreSQL, not by a Celery chord. A chord's counter of finished
header tasks lives in the result backend (a Redis key) and its callback fires from there:
restart the broker/backend empty, or lose a header task's message with its worker, and the
counter never reaches the total, so the run never finishes (or, with a redelivered task,
counts a chunk twice). Here the chunk rows are the truth: anything lost in the broker is found
by `plan_resume` and sent again, and a duplicate delivery finds its chunk done.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from celery import signature
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from accounts.models import User
from marketplace.celery import enqueue_group_on_commit
from marketplace.errors import invalid_input
from marketplace.formatting import suppliers_today
from marketplace.models import JobRun

from ..models import PlanChunk
from ..selectors.demand import planned_listings
from .planning import plan_chunk
from .signals import rollup_platform_orders

JOB = "restock_plan"


def run_day(run: JobRun) -> date:
    """The day a run plans for (China's date when it started), the same for every chunk however
    late a retry runs."""
    return suppliers_today(run.started_at)


def rollup_history(today: date) -> int:
    """The platform's own consumer orders of the history window rolled up into the demand
    signals' platform_units (restock.services.signals), before the chunks read them."""
    since = today - timedelta(days=settings.RESTOCK_HISTORY_DAYS - 1)
    return rollup_platform_orders(since=since, until=today)


_SPLIT_SQL = """
INSERT INTO {chunk} (run_id, {index}, first_listing, last_listing, listings, attempts,
                     sent_at, proposals, error)
SELECT %s, (n - 1) / %s, MIN(id), MAX(id), COUNT(*), 0, %s, 0, ''
FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM ({planned}) planned) numbered
GROUP BY (n - 1) / %s
"""


def _split(run: JobRun, size: int, now: datetime) -> None:
    """The planned listings (restock.selectors.demand.planned_listings: the set each chunk's
    demand_matrix reads) in id order, cut every `size` listings into chunks: one statement,
    whatever the number of listings."""
    planned, params = planned_listings().order_by().values("id").query.sql_with_params()
    quote = connection.ops.quote_name
    sql = _SPLIT_SQL.format(
        chunk=quote(PlanChunk._meta.db_table), index=quote("index"), planned=planned
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run.pk, size, now, *params, size])


# By name: restock.tasks calls this module, which would otherwise import it back.
CHUNK_TASK = "restock.tasks.plan_chunk_task"


def _send(chunk_ids: Iterable[int]) -> None:
    """One plan_chunk_task a chunk, as a Celery group, once the transaction commits."""
    enqueue_group_on_commit(
        signature(CHUNK_TASK, args=(chunk_id,), immutable=True) for chunk_id in chunk_ids
    )


def plan_start(
    *,
    actor: User | None = None,
    chunk_listings: int | None = None,
    now: datetime | None = None,
    dispatch: bool = True,
) -> JobRun:
    """Start a planning run: roll the platform's orders up, cut the eligible listings into
    chunks of `chunk_listings` (RESTOCK_CHUNK_LISTINGS) and send them to the workers after
    commit (`dispatch=False`: the caller runs the chunks itself, `plan_restock --inline`).

    A run still going from before is superseded (failed, its pending chunks skipped): this one
    plans the same listings with newer data. A run with nothing to plan finishes at once."""
    size = settings.RESTOCK_CHUNK_LISTINGS if chunk_listings is None else chunk_listings
    if size < 1:
        raise invalid_input(
            "chunk_listings_invalid", "chunk_listings", "A chunk holds at least one listing."
        )
    now = now or timezone.now()
    rollup_history(suppliers_today(now))
    with transaction.atomic():
        run = JobRun.objects.create(name=JOB, total=0)
        JobRun.objects.filter(pk=run.pk).update(started_at=now)
        run.started_at = now
        JobRun.objects.filter(name=JOB, status=JobRun.Status.RUNNING).exclude(pk=run.pk).update(
            status=JobRun.Status.FAILED,
            finished_at=now,
            summary=f"superseded by run {run.pk}" + (f" ({actor})" if actor else ""),
        )
        _split(run, size, now)
        listings = PlanChunk.objects.filter(run=run).aggregate(n=Sum("listings"))["n"] or 0
        JobRun.objects.filter(pk=run.pk).update(total=listings)
        run.total = listings
        chunk_ids = list(
            PlanChunk.objects.filter(run=run).order_by("index").values_list("pk", flat=True)
        )
        if dispatch and chunk_ids:
            _send(chunk_ids)
    if not chunk_ids:
        plan_finish(run, now=now)
    run.refresh_from_db()
    return run


def plan_chunk_run(chunk_id: int, *, now: datetime | None = None) -> int:
    """Plan one chunk (what plan_chunk_task runs); returns its open proposals.

    A chunk already done, or of a run no longer going, returns at once. Otherwise its attempt is
    counted (and `sent_at` moved to now: a chunk being worked on is not stale), then its
    forecasts and proposals and its `done_at` commit in one transaction. The UPDATE setting
    `done_at` is conditional (done_at IS NULL): when the same chunk runs twice at once (a
    redelivered message, a re-send by plan_resume), the second waits for the first's row and
    finds it done, so the run's progress counts the chunk once. An error is kept on the chunk
    (its `error`) and raised again for the task's retry."""
    chunk = PlanChunk.objects.select_related("run").filter(pk=chunk_id).first()
    if chunk is None or chunk.done_at is not None:
        return 0 if chunk is None else chunk.proposals
    run = chunk.run
    if run.status != JobRun.Status.RUNNING:
        return 0
    PlanChunk.objects.filter(pk=chunk.pk).update(
        attempts=F("attempts") + 1, sent_at=now or timezone.now()
    )
    try:
        with transaction.atomic():
            proposals = plan_chunk(run, chunk.first_listing, chunk.last_listing, today=run_day(run))
            hit = PlanChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
                done_at=now or timezone.now(), proposals=proposals, error=""
            )
            if hit:
                JobRun.objects.filter(pk=run.pk).update(done=F("done") + chunk.listings)
    except Exception as error:
        PlanChunk.objects.filter(pk=chunk.pk, done_at__isnull=True).update(
            error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    plan_finish(run, now=now)
    return proposals


@dataclass(frozen=True)
class PlanSummary:
    chunks: int
    listings: int
    proposals: int
    attempts: int

    def __str__(self) -> str:
        """The run's summary as its JobRun keeps it (in English, like every job's summary; the
        chunks page words it in the reader's language)."""

        def n(count: int, word: str) -> str:
            return f"{count:,} {word}" + ("" if count == 1 else "s")

        return (
            f"{n(self.listings, 'listing')} planned in {n(self.chunks, 'chunk')} "
            f"({n(self.attempts, 'attempt')}): {n(self.proposals, 'open proposal')}"
        )


def plan_summary(run: JobRun) -> PlanSummary:
    totals = PlanChunk.objects.filter(run=run).aggregate(
        listings=Sum("listings"), proposals=Sum("proposals"), attempts=Sum("attempts")
    )
    return PlanSummary(
        chunks=PlanChunk.objects.filter(run=run).count(),
        listings=totals["listings"] or 0,
        proposals=totals["proposals"] or 0,
        attempts=totals["attempts"] or 0,
    )


def plan_finish(run: JobRun, *, now: datetime | None = None) -> bool:
    """End a run whose chunks are all done, exactly once: True for the one caller that ended it.

    One conditional UPDATE (status running -> succeeded WHERE no chunk is pending). Callers
    racing (the last two chunks, plan_resume) each send it; PostgreSQL lets the first hit the
    row and re-checks `status = 'running'` for the others after it commits, so they hit nothing.
    The summary is written by that same UPDATE."""
    pending = PlanChunk.objects.filter(run=OuterRef("pk"), done_at__isnull=True)
    if PlanChunk.objects.filter(run=run, done_at__isnull=True).exists():
        return False
    # Written by the same UPDATE that ends the run: whoever sees it ended sees its summary.
    summary = str(plan_summary(run))
    ended = (
        JobRun.objects.filter(pk=run.pk, name=JOB, status=JobRun.Status.RUNNING)
        .filter(~Exists(pending))
        .update(status=JobRun.Status.SUCCEEDED, finished_at=now or timezone.now(), summary=summary)
    )
    return bool(ended)


@dataclass(frozen=True)
class Resumed:
    resent: int
    finished: int

    def __str__(self) -> str:
        return f"{self.resent} chunks sent again, {self.finished} runs finished"


def plan_resume(*, now: datetime | None = None) -> Resumed:
    """The watchdog (beat, every minute): for each running planning run, send again its chunks
    not done whose last send or start is older than RESTOCK_CHUNK_STALE_SECONDS (their message
    was lost with a worker or the broker, or their retries ran out), and finish the runs whose
    chunks are all done. Two watchdogs at once do not both re-send a chunk: the rows are taken
    with SKIP LOCKED and their `sent_at` moved before the send."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.RESTOCK_CHUNK_STALE_SECONDS)
    resent = finished = 0
    for run in JobRun.objects.filter(name=JOB, status=JobRun.Status.RUNNING).order_by("pk"):
        with transaction.atomic():
            stale = list(
                PlanChunk.objects.select_for_update(skip_locked=True)
                .filter(run=run, done_at__isnull=True)
                .filter(Q(sent_at__lt=stale_before) | Q(sent_at__isnull=True))
                .order_by("index")
                .values_list("pk", flat=True)
            )
            if stale:
                PlanChunk.objects.filter(pk__in=stale).update(sent_at=now)
                _send(stale)
                resent += len(stale)
        if not stale and plan_finish(run, now=now):
            finished += 1
    return Resumed(resent=resent, finished=finished)


def plan_inline(run: JobRun, *, on_chunk: Callable[[PlanChunk], object] | None = None) -> JobRun:
    """Run a run's pending chunks here, one after another (`plan_restock --inline`: a machine
    without workers, and tests); `on_chunk(chunk)` is called after each (a progress bar)."""
    for chunk in PlanChunk.objects.filter(run=run, done_at__isnull=True).order_by("index"):
        plan_chunk_run(chunk.pk)
        if on_chunk is not None:
            on_chunk(chunk)
    plan_finish(run)
    run.refresh_from_db()
    return run
