"""API rate limits: per client, per address without a key, and failed keys per address.

Each budget is a fixed window counted with one atomic step. DRF's own throttles read a list of
timestamps from the cache and write it back, so parallel requests overwrite each other's hits
and a busy client passes far more than its rate; here every request increments a counter in
one step and is judged by the value that step returned, so exactly the budget passes however
many requests arrive at once.

On Redis (CACHE_URL=redis://..., what several web processes share) the count and its expiry
are one Lua script: the window opens with the first request and lasts the rate's period, and
its remaining time is the answer's Retry-After. Other caches (the per-process local memory of
`make run`) count in windows aligned on the clock with the cache's atomic add and incr.
"""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

# INCR and PEXPIRE in one step: a counter never lives without its expiry (a process stopped
# between the two would otherwise leave a budget that never refills).
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_PEEK = """
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}
"""


def parse_rate(rate: str) -> tuple[int, int]:
    """ "1200/min" as (1200, 60): requests, and the window in seconds (s, min, hour, day)."""
    try:
        count, period = rate.split("/")
        return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
    except (ValueError, KeyError, IndexError):
        raise ImproperlyConfigured(f"A rate is like 20/min, not {rate!r}.") from None


def window_hit(key: str, seconds: int, *, count: bool = True) -> tuple[int, float]:
    """Add one hit to `key`'s window of `seconds` (or, with count=False, only read it).
    Returns the hits in the window so far, this one included, and the seconds until it ends."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        # Django's Redis backend has no script call of its own; its client runs one.
        client = cache._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        if count:
            hits, ttl_ms = client.eval(_HIT, 1, full_key, seconds * 1000, 1)
        else:
            hits, ttl_ms = client.eval(_PEEK, 1, full_key)
        return int(hits), max(int(ttl_ms), 0) / 1000
    now = time.time()
    window = int(now // seconds)
    window_key = f"{key}:{window}"
    left = (window + 1) * seconds - now
    if not count:
        return int(cache.get(window_key, 0)), left
    cache.add(window_key, 0, seconds + 1)
    try:
        return int(cache.incr(window_key)), left
    except ValueError:  # evicted between add and incr: this hit opens the window again
        cache.add(window_key, 1, seconds + 1)
        return 1, left


class AtomicRateThrottle(SimpleRateThrottle):
    """SimpleRateThrottle's rates and keys, counted by `window_hit`."""

    _wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        limit, duration = parse_rate(self.rate)
        hits, left = window_hit(self.key, duration)
        if hits <= limit:
            return True
        self._wait = left
        return False

    def wait(self) -> float | None:
        return None if self._wait is None else max(1, math.ceil(self._wait))


class ClientRateThrottle(AtomicRateThrottle):
    """One budget per integrator client or supplier user, across all its keys."""

    scope = "client"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None  # the anonymous throttle handles these
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressRateThrottle(AtomicRateThrottle):
    """Requests without a key, per client address."""

    scope = "anon"

    def get_cache_key(self, request: Request, view: object) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _failure_budget() -> tuple[int, int]:
    return parse_rate(settings.API_AUTH_FAILURE_RATE)


def _failure_key(request: Request) -> str:
    return f"throttle_authfail_{BaseThrottle().get_ident(request)}"


def auth_failures_wait(request: Request) -> float | None:
    """Seconds this address must wait because it sent too many wrong keys, or None.

    Once over the budget every key from the address is refused until the window ends, the
    right one too: otherwise guessing would go on at full speed, a 429 telling the guesser
    only that its guess was wrong."""
    limit, duration = _failure_budget()
    hits, left = window_hit(_failure_key(request), duration, count=False)
    return max(1, math.ceil(left)) if hits >= limit else None


def auth_failure_record(request: Request) -> float | None:
    """Count one wrong key from this address; the wait if that used up its budget."""
    limit, duration = _failure_budget()
    hits, left = window_hit(_failure_key(request), duration)
    return max(1, math.ceil(left)) if hits > limit else None
