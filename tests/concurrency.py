"""Running work at the same moment in threads, each with its own database connection: the one
harness the PostgreSQL concurrency tests share."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

from django.db import connections

T = TypeVar("T")


@dataclass
class Together(Generic[T]):
    """What each target returned (None where it raised), in the targets' order, and the errors
    raised."""

    results: list[T | None] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


def run_together(*targets: Callable[[], T], timeout: float = 120) -> Together[T]:
    """Each target in its own thread, all released together by a barrier; each thread closes
    its database connections when done. Waits up to `timeout` seconds for each thread."""
    barrier = threading.Barrier(len(targets))
    outcome: Together[T] = Together(results=[None] * len(targets))
    lock = threading.Lock()

    def run(index: int, target: Callable[[], T]) -> None:
        try:
            barrier.wait()
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
    assert not any(thread.is_alive() for thread in threads), "a thread is still running"
    return outcome


def in_threads(workers: int, work: Callable[[int], object]) -> list[BaseException]:
    """work(0) .. work(workers - 1) at the same moment; the errors they raised."""
    return run_together(*(partial(work, index) for index in range(workers))).errors
