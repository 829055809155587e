"""Ctrl-C in `make run` stops the worker gracefully: a task it is running finishes, and every
process is gone well within CELERY_SOFT_SHUTDOWN_SECONDS (30 s).

The Procfile's worker line runs under `make run`'s process manager (scripts/run_procfile.py),
in a session of its own as a terminal runs it; Ctrl-C is SIGINT to that process group. The task
is a webhook delivery to a receiver that answers only once the worker's warm shutdown has
begun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction

from marketplace import webhooks
from marketplace.models import WebhookDelivery
from marketplace.tasks import dispatch_webhooks
from tests.marketplace.test_webhooks import _event, endpoint, receiver  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def _wait_for_line(output: list[str], text: str, manager: subprocess.Popen[str]) -> None:
    """Until the process manager's output (read by another thread) has a line with `text`."""
    deadline = time.monotonic() + 60
    while not any(text in line for line in output):
        assert manager.poll() is None, "".join(output)
        assert time.monotonic() < deadline, "".join(output)
        time.sleep(0.2)


def _worker_procfile(tmp_path: Path, queue: str) -> Path:
    """The Procfile's own worker line, on a queue of this test's own (the test Redis is shared
    with other runs, whose tasks this worker must not take)."""
    [line] = [
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("worker:")
    ]
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"{line} --queues={queue}\n")
    return procfile


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ctrl_c_lets_the_running_task_finish_then_stops(tmp_path, receiver, endpoint):  # noqa: F811
    queue = f"run-stop-test-{uuid.uuid4().hex[:12]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "WEBHOOK_TIMEOUT_SECONDS": "20",
        "CELERY_SOFT_SHUTDOWN_SECONDS": "30",
        "WORKER_CONCURRENCY": "2",
        "LOG_LEVEL": "INFO",  # the worker says "ready." at INFO
    }
    procfile = str(_worker_procfile(tmp_path, queue))
    manager = subprocess.Popen(
        [
            sys.executable,
            "scripts/run_procfile.py",
            "--procfile",
            procfile,
            "--app-root",
            str(ROOT),
            "start",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(manager.stdout or []), daemon=True)
    reader.start()
    try:
        _wait_for_line(output, "ready.", manager)

        receiver.hold()
        with transaction.atomic():
            event = _event()
        dispatch_webhooks.apply_async(queue=queue)
        receiver.wait_for(1)  # the worker is now waiting for the answer

        pressed = time.monotonic()
        os.killpg(manager.pid, signal.SIGINT)  # Ctrl-C
        # The task is still running when the shutdown begins, and finishes inside it.
        _wait_for_line(output, "Warm shutdown", manager)
        receiver.release()
        manager.wait(timeout=45)
        stopped = time.monotonic() - pressed
        reader.join(timeout=5)
    finally:
        if manager.poll() is None:
            # The worker runs in a session of its own: only the manager can stop it.
            os.killpg(manager.pid, signal.SIGINT)
            try:
                manager.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(manager.pid, signal.SIGKILL)
                manager.wait()
        broker = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
        broker.delete(queue)

    log = "".join(output)
    assert "SIGKILL" not in log, log
    assert stopped < 30, log
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == WebhookDelivery.Status.DELIVERED, log
    assert delivery.attempt_log.get().status_code == 200
    assert webhooks.dispatch_due() == 0
