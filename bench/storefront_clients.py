"""Storefront clients for the sweep benchmark (bench/jit_sweep.py): threads creating JIT orders
through the real service (`orders.services.orders.jit_order_create`), each on its own database
connection, timing every create from call to commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CLIENTS = 8


@dataclass
class Creates:
    """(start, end) of every create, in perf_counter seconds, and how many were refused."""

    spans: list[tuple[float, float]] = field(default_factory=list)
    refused: int = 0
    errors: list[BaseException] = field(default_factory=list)

    def during(self, start: float, end: float) -> list[float]:
        """Latencies (ms) of the creates that ran at any moment between start and end (one
        held up by a lock until the end counts, with all of its wait)."""
        return [(b - a) * 1000 for a, b in self.spans if a < end and b > start]


def figures(latencies: list[float]) -> str:
    """count, p50, p99, max (ms)."""
    if not latencies:
        return f"{0:>8}  {'-':>7} {'-':>7} {'-':>7}"
    ordered = sorted(latencies)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"{len(ordered):>8,}  {at(0.50):>7.1f} {at(0.99):>7.1f} {ordered[-1]:>7.1f}"


def percentile(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies) or [0.0]
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def while_clients_create(
    listing_ids: list[int], actor: Any, tag: str, during: Callable[[], Any]
) -> tuple[Creates, float, float, Any]:
    """Start CLIENTS threads creating orders on these listings, run `during()` once they all
    are, then stop them: (the creates, when `during` began and ended, what it returned)."""
    from django.db import connections

    from marketplace.errors import DomainError
    from orders.services.orders import jit_order_create

    creates = Creates()
    lock = threading.Lock()
    stop = threading.Event()
    ready = threading.Barrier(CLIENTS + 1)

    def client(k: int) -> None:
        n = 0
        try:
            ready.wait()
            while not stop.is_set():
                listing = listing_ids[(k * 7919 + n * 31) % len(listing_ids)]
                started = time.perf_counter()
                refused = False
                try:
                    jit_order_create(
                        listing_id=listing,
                        quantity=1,
                        external_id=f"BENCH-{tag}-{k}-{n}",
                        actor=actor,
                    )
                except DomainError:
                    refused = True  # a supplier the sweep paused: timed all the same
                ended = time.perf_counter()
                with lock:
                    creates.spans.append((started, ended))
                    creates.refused += refused
                n += 1
        except BaseException as error:  # reported by the benchmark
            with lock:
                creates.errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        ready.wait()
        time.sleep(0.5)  # every client past its first create (connection, caches)
        began = time.perf_counter()
        result = during()
        ended = time.perf_counter()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    if creates.errors:
        raise creates.errors[0]
    return creates, began, ended, result
