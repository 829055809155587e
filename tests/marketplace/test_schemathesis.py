"""Schemathesis over the whole OpenAPI schema, against the real server (gunicorn, as deployed) on
the PostgreSQL test database filled with the demo data: once with the demo integrator's key
(every scope), once with a demo supplier's key and once with a test lab's client key.

Every operation gets schemathesis' coverage cases (boundary values, wrong types, missing
properties, malformed content types, methods the path lacks) and a fixed number of generated
cases, from a fixed seed and derandomized, so a run is the same every time. Every response must be:

- no server error (5xx);
- a status code the schema documents for the operation (405 for a method the path lacks);
- of a content type the schema documents;
- a body matching the documented schema.

The time is bounded: FUZZ_EXAMPLES generated cases per operation, two unexpected methods per
path, and no request may take longer than REQUEST_SECONDS (a slow answer fails as a hang would).
On a failure, the server's log (with its tracebacks) is printed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
import requests
import schemathesis
from django.db import connection
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from tests.api_support import demo_api_data
from tests.services import ROOT

pytestmark = pytest.mark.postgres

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
SEED = 20260101
REQUEST_SECONDS = 15
STARTUP_SECONDS = 30
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    unsupported_method,
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_server(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DATABASE_URL": _database_url(),
        # Throttling is tested elsewhere; here it would only turn cases into 429s.
        "API_THROTTLE_RATE": "1000000/min",
        "API_ANON_THROTTLE_RATE": "1000000/min",
        "LOG_LEVEL": "ERROR",
        # What the requests upload (a lab's reports) goes to the test's folder.
        "MEDIA_ROOT": str(log.parent / "media"),
        # Tasks the requests enqueue stay in the server's memory: no worker of another test
        # should find them in the shared broker after the data is gone.
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
    }
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "marketplace.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        "--workers=2",
        f"--timeout={REQUEST_SECONDS * 2}",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and server.poll() is None:
        try:
            # The first answer loads the URLconf and every view: on a busy machine it may take
            # seconds, and is held to the same bound as every request of the test.
            if requests.get(f"{url}/api/v1/", timeout=REQUEST_SECONDS).status_code == 200:
                return server, url
        except requests.ConnectionError:  # not listening yet
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-3000:]}")


@pytest.fixture
def live_api(
    transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """The demo data, committed to the test database, and gunicorn serving it (the database is
    emptied after the test, as after any test that commits)."""
    monkeypatch.setenv("DEMO_DATA", "true")
    keys = demo_api_data(tmp_path / "credentials.json")
    server, url = _start_server(tmp_path / "server.log")
    try:
        yield url, keys, tmp_path / "server.log"
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(params=["integrator", "supplier", "lab"])
def api_schema(request: pytest.FixtureRequest, live_api) -> schemathesis.BaseSchema:
    # schemathesis 4 renames the pytest node through `_nodeid`, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid
    url, keys, _log = live_api
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {keys[request.param]}"},
            "request-timeout": REQUEST_SECONDS,
            "generation": {
                "max-examples": FUZZ_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": ["DELETE", "PATCH"]},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )
    return schemathesis.openapi.from_url(f"{url}/api/schema/", config=config)


@pytest.fixture
def server_log_on_failure(live_api) -> Iterator[None]:
    _url, _keys, log = live_api
    start = log.stat().st_size
    yield
    with log.open("rb") as server_log:
        server_log.seek(start)
        logged = server_log.read().decode(errors="replace")
    assert "Traceback" not in logged, f"the server logged errors:\n{logged[-20000:]}"


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(deadline=REQUEST_SECONDS * 1000, derandomize=True, database=None)
def test_the_api_keeps_to_its_schema(case: schemathesis.Case, server_log_on_failure) -> None:
    case.call_and_validate(checks=CHECKS)
