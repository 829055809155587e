"""Rate limits hold under parallel requests, and wrong API keys are throttled per address."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator

import pytest
import redis

from tests.factories.accounts import api_client

WHOAMI = "/api/v1/whoami/"


@pytest.fixture
def redis_cache(settings) -> Iterator[None]:
    """The cache on the test Redis, as production shares it between web processes; a prefix of
    this test's own, so nothing else in that database is touched."""
    prefix = f"throttle-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["TEST_REDIS_URL"],
            "KEY_PREFIX": prefix,
        }
    }
    yield
    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(params=["locmem", "redis"])
def cache_kind(request) -> str:
    if request.param == "redis":
        if request.node.get_closest_marker("redis") is None:
            request.applymarker(pytest.mark.redis)
        request.getfixturevalue("redis_cache")
    return request.param


@pytest.mark.django_db
def test_wrong_keys_from_one_address_are_answered_429_then_every_key(api, settings, cache_kind):
    settings.API_AUTH_FAILURE_RATE = "5/min"
    _client, good = api_client()
    wrong = "mk_nothere_" + "x" * 40

    statuses = [
        api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {wrong}{n}").status_code for n in range(8)
    ]

    assert statuses == [401] * 5 + [429] * 3
    refused = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {wrong}")
    assert refused.json()["code"] == "throttled"
    assert set(refused.json()) == {"code", "message", "fields"}
    assert 1 <= int(refused["Retry-After"]) <= 60
    # The right key from that address waits too: a guess must not be told it was right.
    assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 429
    # Another address is not held up by this one's mistakes.
    other = api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {good}", REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


@pytest.mark.django_db
def test_250_wrong_keys_pass_only_the_configured_failures(api):
    wrong = "mk_nothere_" + "y" * 40
    statuses = Counter(
        api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {wrong}{n}").status_code for n in range(250)
    )
    assert statuses == {401: 20, 429: 230}  # API_AUTH_FAILURE_RATE's default, 20/min


@pytest.mark.django_db
def test_a_good_key_does_not_use_the_failure_budget(api, settings):
    settings.API_AUTH_FAILURE_RATE = "2/min"
    _client, good = api_client()
    for _ in range(10):
        assert api.get(WHOAMI, HTTP_AUTHORIZATION=f"Bearer {good}").status_code == 200


def _hammer(url: str, key: str, requests: int, threads: int) -> Counter[int]:
    """`requests` GETs from `threads` threads at once; the status codes they got."""
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def run(count: int) -> None:
        barrier.wait()
        for _ in range(count):
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            with lock:
                statuses[status] += 1

    workers = [threading.Thread(target=run, args=(requests // threads,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return statuses


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_parallel_requests_pass_exactly_the_client_budget(live_server, redis_cache, monkeypatch):
    from marketplace.api.throttling import ClientRateThrottle

    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "100/min"})
    _client, key = api_client()

    statuses = _hammer(live_server.url + WHOAMI, key, requests=400, threads=16)

    assert statuses == {200: 100, 429: 300}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_keys_pass_exactly_the_failure_budget(live_server, redis_cache, settings):
    settings.API_AUTH_FAILURE_RATE = "30/min"
    statuses = _hammer(live_server.url + WHOAMI, "mk_nothere_" + "z" * 40, requests=160, threads=16)
    assert statuses == {401: 30, 429: 130}
