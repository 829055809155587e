"""Races on the real database, ordered by events rather than by sleeps: each party runs in its own
thread with its own connection, started together, and a party waits for another to be blocked
(on a lock, in PostgreSQL) before it goes on, so a test cannot pass or fail by timing luck."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

# Long enough for a loaded 2-core machine; a party that is not there by then is a failure.
PARTY_TIMEOUT = 30


def run_in_threads(*targets: Callable[[], Any]) -> list[Any]:
    """Each target in its own thread with its own database connection, started together; their
    results in order. An exception in a thread fails the caller."""
    barrier = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(index: int, target: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=PARTY_TIMEOUT)
            results[index] = target()
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, target)) for i, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=PARTY_TIMEOUT * 4)
    assert not any(thread.is_alive() for thread in threads), "a party never finished"
    assert not errors, errors
    return results


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
