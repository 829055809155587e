"""Progress of long jobs: a `JobRun` row operators watch in the admin, and optionally a progress
bar on the command line, fed by the same calls."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from tqdm import tqdm

from .models import JobRun

# What operators read for a job's name (the name itself is the command's).
JOB_LABELS = {
    "seed_demo": _("Demo data loaded"),
    "clear_expired_sessions": _("Expired sessions cleared"),
    "sweep_jit_deadlines": _("JIT deadline sweep"),
    "draw_test_purchases": _("Test purchase draw"),
    "compliance_expiry": _("Compliance expiry warnings and status"),
    "return_rates": _("Listings' return rates and breaches"),
    "restock_plan": _("Restock planning"),
    "scorecards": _("Suppliers' scorecards"),
}


def job_label(name: str) -> str:
    return str(JOB_LABELS.get(name, name))


class JobProgress:
    # Writing progress on every step of a million-row job would cost more than the job.
    FLUSH_SECONDS = 1.0

    def __init__(self, run: JobRun, bar: tqdm | None) -> None:
        self.run = run
        self.bar = bar
        self.summary = ""
        self._unflushed = 0
        self._flushed_at = time.monotonic()

    def set_total(self, total: int) -> None:
        self.run.total = total
        JobRun.objects.filter(pk=self.run.pk).update(total=total)
        if self.bar is not None:
            self.bar.total = total
            self.bar.refresh()

    def advance(self, n: int = 1) -> None:
        self.run.done += n
        self._unflushed += n
        if self.bar is not None:
            self.bar.update(n)
        if time.monotonic() - self._flushed_at >= self.FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self._unflushed:
            JobRun.objects.filter(pk=self.run.pk).update(done=F("done") + self._unflushed)
            self._unflushed = 0
        self._flushed_at = time.monotonic()


@contextmanager
def tracked_job(name: str, *, total: int | None = None, bar: bool = False) -> Iterator[JobProgress]:
    """Run a block as a job: `with tracked_job("seed_demo", total=n, bar=True) as job: ...`,
    calling `job.advance()` as work gets done and setting `job.summary` at the end."""
    run = JobRun.objects.create(name=name, total=total)
    progress_bar = tqdm(total=total, desc=name, unit="step", leave=True) if bar else None
    progress = JobProgress(run, progress_bar)
    try:
        yield progress
    except BaseException as exc:
        progress.flush()
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            summary=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    else:
        progress.flush()
        JobRun.objects.filter(pk=run.pk).update(
            status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), summary=progress.summary
        )
    finally:
        if progress_bar is not None:
            progress_bar.close()
