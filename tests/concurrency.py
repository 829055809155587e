"""Races on the real database, ordered by events rather than by sleeps: each party runs in its
own thread with its own database connection, all released together by a barrier, and a party
waits for another to be blocked (on a lock, in PostgreSQL) before it goes on, so a test cannot
pass or fail by timing luck. The one harness the PostgreSQL concurrency tests share."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from django.db import connection, connections

T = TypeVar("T")

# Long enough for a loaded 2-core machine; a party that is not there by then is a failure.
PARTY_TIMEOUT = 30


@dataclass
class Together(Generic[T]):
    """What each target returned (None where it raised), in the targets' order, and the errors
    raised."""

    results: list[T | None] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def run_together(*targets: Callable[[], T], timeout: float = PARTY_TIMEOUT * 4) -> Together[T]:
    """Each target in its own thread, all released together by a barrier; each thread closes
    its database connections when done. Waits up to `timeout` seconds for each thread."""
    barrier = threading.Barrier(len(targets))
    outcome: Together[T] = Together(results=[None] * len(targets))
    lock = threading.Lock()

    def run(index: int, target: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=PARTY_TIMEOUT)
            result = target()
            outcome.results[index] = result
        except BaseException as error:
            with lock:
                outcome.errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a party never finished"
    return outcome


def run_in_threads(*targets: Callable[[], Any]) -> list[Any]:
    """`run_together`, where an exception in any thread fails the caller; the results in order."""
    outcome = run_together(*targets)
    assert not outcome.errors, outcome.errors
    return outcome.results


def in_threads(workers: int, work: Callable[[int], object]) -> list[BaseException]:
    """work(0) .. work(workers - 1) at the same moment; the errors they raised."""
    return run_together(*(partial(work, index) for index in range(workers))).errors


def wait_until_blocked(count: int = 1, timeout: float = PARTY_TIMEOUT) -> None:
    """Return once `count` other sessions of this database wait on a lock (a row lock, or a
    unique index entry another transaction has inserted but not committed). Polls
    pg_stat_activity: the state is PostgreSQL's to report, not a guess about how long it takes."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            # Inside a transaction PostgreSQL keeps its first look at pg_stat_activity: drop it.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            (waiting,) = cursor.fetchone()
            if waiting >= count:
                return
            assert time.monotonic() < deadline, f"{waiting} of {count} sessions blocked"
            time.sleep(0.01)
