"""Chooses the database and the broker for a test run; tests/settings.py calls `configure()`
before it loads the project settings.

- PostgreSQL at DATABASE_URL (default the local server) and Redis at TEST_REDIS_URL (default the
  local server, database 14) are used when they answer.
- Otherwise the run falls back to SQLite and the filesystem broker, and the tests that need the
  real services are skipped with the reason shown in the summary.
- With CI=true there is no fallback: an unreachable service stops the run as a failure.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/marketplace"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"

unavailable: dict[str, str] = {}


def _check_postgres(url: str) -> str | None:
    import environ
    import psycopg2

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return f"DATABASE_URL is not PostgreSQL ({config['ENGINE']})"
    try:
        psycopg2.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
            connect_timeout=3,
        ).close()
    except psycopg2.Error as error:
        return (
            f"PostgreSQL unreachable at {config.get('HOST')}:{config.get('PORT')}: {error}".strip()
        )
    return None


def _check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis unreachable at {url}: {error}"
    return None


def configure() -> None:
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw") and redis_url == DEFAULT_REDIS_URL:
        # Each parallel worker its own Redis database (throttle counters, the broker's queue):
        # 14, 13, 12, …
        redis_url = DEFAULT_REDIS_URL.rsplit("/", 1)[0] + f"/{14 - int(worker[2:])}"
    if reason := _check_postgres(database_url):
        unavailable["postgres"] = reason
        database_url = f"sqlite:///{ROOT / 'var' / 'test.sqlite3'}"
    if reason := _check_redis(redis_url):
        unavailable["redis"] = reason
    if not Path(CHROMIUM).exists():
        unavailable["browser"] = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if CI and unavailable:
        raise pytest.UsageError(
            "CI=true needs PostgreSQL, Redis and Chromium: " + "; ".join(unavailable.values())
        )
    os.environ["DATABASE_URL"] = database_url
    os.environ["TEST_REDIS_URL"] = redis_url
    if "redis" not in unavailable:
        os.environ["CELERY_BROKER_URL"] = redis_url
        os.environ["CELERY_RESULT_BACKEND"] = redis_url
    # Production settings: DEBUG off, a real secret, but plain HTTP for the test servers.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["SECURE_COOKIES"] = "false"
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
    # the test itself around it are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
