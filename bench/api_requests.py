"""Cost of one API request through the whole stack (middleware, API key authentication, scope
check, throttle, cursor pagination, JSON): latency percentiles and requests per second, in
process, with 5,000 suppliers in the table."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

from django.test import Client

# BENCH_API_REQUESTS and BENCH_API_SUPPLIERS scale it down (the suite's smoke run).
REQUESTS = int(os.environ.get("BENCH_API_REQUESTS", "400"))
SUPPLIERS = int(os.environ.get("BENCH_API_SUPPLIERS", "5000"))


def _measure(label: str, call: Callable[[], int]) -> None:
    for _ in range(20):  # warm-up: connections, caches, imports
        call()
    timings = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        status = call()
        timings.append(time.perf_counter() - start)
        assert status == 200, status
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p95 = timings[int(len(timings) * 0.95)] * 1000
    rate = len(timings) / sum(timings)
    print(f"{label:<44} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   {rate:7.0f} req/s")


def run() -> None:
    from accounts.models import ApiClient, Scope, User
    from accounts.services import api_client_create, api_key_issue
    from marketplace.api.throttling import ClientRateThrottle
    from suppliers.models import Membership, Supplier

    # Measure the request, not the rate limit.
    ClientRateThrottle.rate = "1000000/min"
    Supplier.objects.bulk_create(
        Supplier(
            name_zh=f"工厂{i}",
            name_en=f"Factory {i}",
            credit_code=f"A{i:017d}",
            status=Supplier.Status.ACTIVE,
        )
        for i in range(SUPPLIERS)
    )
    _client, integrator_key = api_client_create(
        name="Bench storefront", kind=ApiClient.Kind.STOREFRONT, scopes=Scope.values, actor=None
    )
    member = User.objects.create_user("bench-supplier")
    Membership.objects.create(user=member, supplier=Supplier.objects.earliest("id"))
    _key, supplier_key = api_key_issue(user=member, name="bench", actor=None)

    http = Client()

    def get(path: str, key: str) -> Callable[[], int]:
        return lambda: http.get(path, HTTP_AUTHORIZATION=f"Bearer {key}").status_code

    _measure("GET /api/v1/whoami/ (integrator key)", get("/api/v1/whoami/", integrator_key))
    _measure(
        "GET /api/v1/suppliers/ 50 rows (integrator)",
        get("/api/v1/suppliers/?page_size=50", integrator_key),
    )
    _measure("GET /api/v1/suppliers/ (supplier token)", get("/api/v1/suppliers/", supplier_key))
    _measure("GET /healthz (database and broker)", lambda: http.get("/healthz").status_code)
