"""The planning run (restock.services.runs): chunks cut set-based, each done once however many
times it runs, the run finished exactly once, a failing chunk retried alone, stale chunks sent
again by the watchdog. Real workers and faults: test_workers.py."""

from __future__ import annotations

import multiprocessing
import os
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.errors import DomainError
from marketplace.formatting import suppliers_today
from marketplace.jobs import job_label
from marketplace.models import JobRun
from restock.models import PlanChunk, RestockProposal
from restock.services import runs
from restock.services.runs import (
    plan_chunk_run,
    plan_finish,
    plan_inline,
    plan_resume,
    plan_start,
)
from restock.tasks import plan_chunk_task, plan_resume_task
from tests.concurrency import run_in_threads, wait_until_blocked

from .runs_support import forget_plans, outcome, seed_demand

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """The chunk ids of each group handed to marketplace.celery.enqueue_group_on_commit
    (which sends after commit: test_workers.py), instead of a broker."""
    groups: list[list[int]] = []

    def capture(signatures):  # type: ignore[no-untyped-def]
        groups.append([sig.args[0] for sig in signatures])

    monkeypatch.setattr(runs, "enqueue_group_on_commit", capture)
    return groups


@pytest.fixture
def listings() -> list[int]:
    return seed_demand(30, today=suppliers_today(), days=90, others=8)


def test_a_run_cuts_the_eligible_listings_into_chunks_set_based(listings, sent):
    with CaptureQueriesContext(connection) as few:
        run = plan_start(chunk_listings=7)
    chunks = list(PlanChunk.objects.filter(run=run).order_by("index"))
    assert [c.listings for c in chunks] == [7, 7, 7, 7, 2]
    assert run.name == "restock_plan"
    assert run.total == 30
    assert run.done == 0
    assert run.status == JobRun.Status.RUNNING
    # Contiguous ranges of the planned listings only (the skipped ones may sit between).
    covered = [i for c in chunks for i in listings if c.first_listing <= i <= c.last_listing]
    assert covered == sorted(listings)
    assert chunks[0].first_listing == min(listings)
    assert chunks[-1].last_listing == max(listings)
    assert all(c.sent_at == run.started_at and c.attempts == 0 for c in chunks)
    # Sent once, as one group.
    assert sent == [[c.pk for c in chunks]]
    assert job_label(run.name) == "Restock planning"
    # Cutting 30 listings or 30,000 is the same few statements.
    more = seed_demand(40, today=suppliers_today(), days=1, seed=3)
    with CaptureQueriesContext(connection) as many:
        plan_start(chunk_listings=7)
    assert len(many) == len(few)
    assert len(more) == 40


def test_a_run_with_nothing_to_plan_ends_at_once(sent):
    run = plan_start()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.total == 0
    assert sent == []


def test_a_chunk_holds_at_least_one_listing(listings):
    with pytest.raises(DomainError) as refused:
        plan_start(chunk_listings=0)
    assert refused.value.fields == {"chunk_listings": ["A chunk holds at least one listing."]}
    assert not JobRun.objects.filter(name="restock_plan").exists()


def test_an_inline_run_plans_every_chunk_and_ends_once(listings, sent):
    run = plan_inline(plan_start(chunk_listings=8, dispatch=False))
    assert sent == []
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.finished_at is not None
    assert run.done == run.total == 30
    assert run.percent == 100
    chunks = PlanChunk.objects.filter(run=run)
    assert all(c.done_at and c.attempts == 1 and c.error == "" for c in chunks)
    proposals = RestockProposal.objects.filter(status="open")
    assert sum(c.proposals for c in chunks) == proposals.count() > 0
    assert set(proposals.values_list("listing_id", flat=True)) <= set(listings)
    assert run.summary == (
        f"30 listings planned in 4 chunks (4 attempts): {proposals.count()} open proposals"
    )


def test_a_chunk_run_twice_gives_the_same_proposals_and_counts_once(listings, sent):
    run = plan_start(chunk_listings=10, dispatch=False)
    first, *_others = PlanChunk.objects.filter(run=run).order_by("index")
    plan_chunk_run(first.pk)
    once = outcome()
    # Delivered again (a redelivered message, a re-send): nothing changes, nothing counts.
    plan_chunk_run(first.pk)
    assert outcome() == once
    first.refresh_from_db()
    run.refresh_from_db()
    assert first.attempts == 1
    assert run.done == 10
    # Forced through a second time (as a retry racing its first try would): same proposals.
    PlanChunk.objects.filter(pk=first.pk).update(done_at=None)
    plan_chunk_run(first.pk)
    assert outcome() == once
    assert RestockProposal.objects.filter(status="open").count() == len(once["proposals"])


def test_the_same_proposals_whatever_the_chunk_size(listings, sent):
    plan_inline(plan_start(chunk_listings=30, dispatch=False))
    whole = outcome()
    forget_plans()
    plan_inline(plan_start(chunk_listings=4, dispatch=False))
    assert outcome() == whole


def test_a_failing_chunk_is_retried_alone_and_the_run_completes(listings, sent, monkeypatch):
    run = plan_start(chunk_listings=10, dispatch=False)
    chunks = list(PlanChunk.objects.filter(run=run).order_by("index"))
    real = runs.plan_chunk
    failures = {"left": 2}

    def flaky(run, first_id, last_id, *, today):  # type: ignore[no-untyped-def]
        if first_id == chunks[1].first_listing and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("statsforecast could not fit")
        return real(run, first_id, last_id, today=today)

    monkeypatch.setattr(runs, "plan_chunk", flaky)
    for chunk in chunks:
        # The task as a worker runs it (eagerly here: its retries run at once).
        plan_chunk_task.apply(args=[chunk.pk])
    by_index = {c.index: c for c in PlanChunk.objects.filter(run=run)}
    assert [by_index[i].attempts for i in range(3)] == [1, 3, 1]
    assert all(c.done_at and c.error == "" for c in by_index.values())
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.done == 30


def test_a_chunk_failing_past_its_retries_keeps_its_error_and_is_sent_again(
    listings, sent, monkeypatch
):
    run = plan_start(chunk_listings=10, dispatch=False)
    chunks = list(PlanChunk.objects.filter(run=run).order_by("index"))

    def broken(run, first_id, last_id, *, today):  # type: ignore[no-untyped-def]
        raise ValueError("no series")

    monkeypatch.setattr(runs, "plan_chunk", broken)
    result = plan_chunk_task.apply(args=[chunks[0].pk])
    assert isinstance(result.result, ValueError)
    chunk = PlanChunk.objects.get(pk=chunks[0].pk)
    assert chunk.attempts == 4
    assert chunk.done_at is None
    assert chunk.error == "ValueError: no series"
    # Nothing of the chunk half-written.
    assert not RestockProposal.objects.exists()
    monkeypatch.undo()
    monkeypatch.setattr(
        runs, "enqueue_group_on_commit", lambda s: sent.append([x.args[0] for x in s])
    )
    later = timezone.now() + timedelta(seconds=301)
    assert plan_resume(now=later).resent == 3
    assert sent[-1] == [c.pk for c in chunks]


def test_the_watchdog_resends_stale_chunks_only_and_finishes_complete_runs(
    listings, sent, settings
):
    settings.RESTOCK_CHUNK_STALE_SECONDS = 60
    start = timezone.now()
    run = plan_start(chunk_listings=10, now=start)
    chunks = list(PlanChunk.objects.filter(run=run).order_by("index"))
    sent.clear()
    plan_chunk_run(chunks[0].pk, now=start + timedelta(seconds=30))
    # Not stale yet: nothing sent again.
    assert str(plan_resume(now=start + timedelta(seconds=59))) == (
        "0 chunks sent again, 0 runs finished"
    )
    # Chunk 1 started late (a worker took it at +50 s): only chunk 2, sent at 0, is stale.
    PlanChunk.objects.filter(pk=chunks[1].pk).update(sent_at=start + timedelta(seconds=50))
    assert plan_resume(now=start + timedelta(seconds=61)).resent == 1
    assert sent == [[chunks[2].pk]]
    assert PlanChunk.objects.get(pk=chunks[2].pk).sent_at == start + timedelta(seconds=61)
    # The re-sent chunk's worker, and the lost one's, both finish it: it counts once.
    plan_chunk_run(chunks[1].pk)
    plan_chunk_run(chunks[2].pk)
    plan_chunk_run(chunks[2].pk)
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.done == 30


def test_the_watchdog_finishes_a_run_whose_last_finish_was_lost(listings, sent, monkeypatch):
    run = plan_start(chunk_listings=15, dispatch=False)
    monkeypatch.setattr(runs, "plan_finish", lambda run, now=None: False)
    for chunk in PlanChunk.objects.filter(run=run):
        plan_chunk_run(chunk.pk)
    monkeypatch.undo()
    run.refresh_from_db()
    assert run.status == JobRun.Status.RUNNING
    assert run.done == 30
    assert plan_resume_task.apply().result == "0 chunks sent again, 1 runs finished"
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert plan_resume().finished == 0


def test_a_new_run_supersedes_one_still_going(listings, sent):
    old = plan_start(chunk_listings=10, dispatch=False)
    new = plan_start(chunk_listings=10, dispatch=False)
    old.refresh_from_db()
    assert old.status == JobRun.Status.FAILED
    assert old.summary == f"superseded by run {new.pk}"
    # The old run's chunks, delivered late, do nothing.
    for chunk in PlanChunk.objects.filter(run=old):
        assert plan_chunk_run(chunk.pk) == 0
    assert not PlanChunk.objects.filter(run=old, attempts__gt=0).exists()
    assert plan_inline(new).status == JobRun.Status.SUCCEEDED


def test_a_chunk_starts_no_child_process(listings, sent, monkeypatch):
    """A prefork worker's child may not fork, and a chunk that forks would fight the other
    workers for the cores: planning runs in the worker's own process."""

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a chunk started a child process")

    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", refuse)
    monkeypatch.setattr("subprocess.Popen.__init__", refuse)
    run = plan_inline(plan_start(chunk_listings=10, dispatch=False))
    assert run.status == JobRun.Status.SUCCEEDED


def test_the_command_runs_the_chunks_inline_with_a_progress_bar(listings, sent, capsys):
    out = StringIO()
    call_command("plan_restock", "--inline", "--chunk", "12", stdout=out)
    run = JobRun.objects.get(name="restock_plan")
    assert run.status == JobRun.Status.SUCCEEDED
    assert PlanChunk.objects.filter(run=run).count() == 3
    assert f"restock planning run {run.pk}: 30 listings" in out.getvalue()
    assert "Succeeded: 30 listings planned in 3 chunks" in out.getvalue()
    assert "30/30" in capsys.readouterr().err
    assert sent == []


def test_the_command_refuses_an_empty_chunk(listings):
    with pytest.raises(CommandError, match="--chunk: A chunk holds at least one listing"):
        call_command("plan_restock", "--inline", "--chunk", "0", stdout=StringIO())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_finishes_racing_end_the_run_exactly_once(listings, sent):
    run = plan_start(chunk_listings=15, dispatch=False)
    for chunk in PlanChunk.objects.filter(run=run):
        PlanChunk.objects.filter(pk=chunk.pk).update(done_at=timezone.now())
    ended = run_in_threads(*(lambda: plan_finish(run) for _ in range(4)))
    assert sorted(ended) == [False, False, False, True]
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.summary.startswith("30 listings planned in 2 chunks")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_last_two_chunks_finishing_together_end_the_run_once(listings, sent):
    run = plan_start(chunk_listings=15, dispatch=False)
    first, second = PlanChunk.objects.filter(run=run).order_by("index")
    ended: list[bool] = []
    real = runs.plan_finish

    def counting(run, now=None):  # type: ignore[no-untyped-def]
        hit = real(run, now=now)
        ended.append(hit)
        return hit

    runs.plan_finish = counting  # type: ignore[assignment]
    try:
        run_in_threads(lambda: plan_chunk_run(first.pk), lambda: plan_chunk_run(second.pk))
    finally:
        runs.plan_finish = real  # type: ignore[assignment]
    assert ended.count(True) == 1
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.done == 30


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_chunk_delivered_twice_at_once_counts_once(listings, sent):
    run = plan_start(chunk_listings=30, dispatch=False)
    chunk = PlanChunk.objects.get(run=run)
    plan_inline(plan_start(chunk_listings=30, dispatch=False))
    expected = outcome()
    forget_plans()
    run = plan_start(chunk_listings=30, dispatch=False)
    chunk = PlanChunk.objects.get(run=run)
    # The job run's row is held: both deliveries get as far as counting the chunk done, and
    # wait there; the first to go on counts it, the second finds it done.
    from django.db import transaction

    with transaction.atomic():
        JobRun.objects.select_for_update().get(pk=run.pk)
        import threading

        done: list[object] = []
        threads = [
            threading.Thread(
                target=lambda: (done.append(plan_chunk_run(chunk.pk)), connection.close())
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        wait_until_blocked(1)
    for thread in threads:
        thread.join(60)
    assert len(done) == 2
    run.refresh_from_db()
    chunk.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.done == 30
    assert chunk.attempts == 2
    assert outcome() == expected


def test_a_run_first_rolls_the_platforms_orders_up_over_the_history_window(
    listings, sent, monkeypatch, settings
):
    calls = []
    monkeypatch.setattr(runs, "rollup_platform_orders", lambda **window: calls.append(window) or 0)
    now = timezone.now()
    plan_start(now=now)
    today = suppliers_today(now)
    assert calls == [
        {"since": today - timedelta(days=settings.RESTOCK_HISTORY_DAYS - 1), "until": today}
    ]
