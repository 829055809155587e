"""House rules that a linter does not check."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP_DIRS = ["marketplace", "accounts", "suppliers", "orders", "logistics", "compliance", "portal"]
DIRECT_ENQUEUE = re.compile(r"\.(delay|apply_async|delay_on_commit|apply_async_on_commit)\(")


def app_sources():
    for folder in APP_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_tasks_are_enqueued_only_after_commit():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in app_sources()
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if DIRECT_ENQUEUE.search(line) and path != ROOT / "marketplace" / "celery.py"
    ]
    assert offenders == [], "enqueue with marketplace.celery.enqueue_on_commit instead"
