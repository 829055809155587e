"""A real Celery worker, in its own process, on the Redis broker and the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection, transaction
from django.utils import timezone

from marketplace.celery import enqueue_on_commit
from marketplace.models import JobRun
from marketplace.tasks import clear_expired_sessions

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def broker() -> redis.Redis:
    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def worker(broker):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "marketplace",
            "worker",
            "--pool=solo",
            "--without-mingle",
            "--without-gossip",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def _expired_session() -> str:
    store = SessionStore()
    store.create()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    return str(store.session_key)


def test_a_rolled_back_transaction_enqueues_nothing(broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_on_commit(clear_expired_sessions)
        raise RuntimeError("the business action failed")
    assert broker.llen("celery") == 0


def test_a_worker_runs_a_task_enqueued_after_commit(broker, worker):
    expired = _expired_session()
    with transaction.atomic():
        enqueue_on_commit(clear_expired_sessions)
        # Not yet on the broker: the transaction has not committed.
        assert broker.llen("celery") == 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(name="clear_expired_sessions").first()
        if run and run.status != JobRun.Status.RUNNING:
            break
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
        time.sleep(0.2)
    else:
        pytest.fail("the worker did not run the task within 60 s")
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.summary == "expired sessions deleted: 1"
    assert not Session.objects.filter(pk=expired).exists()
