"""Fixtures for the browser tests: headless Debian Chromium driven by Playwright's sync API.

- `browser`: one Chromium for the whole module (never `playwright install`: the system one).
- `page`: a fresh context per test with a route guard. Any request to a host other than the
  live server's (a CDN, a font service, telemetry...) is aborted and recorded; the test then
  fails at teardown. Console errors, uncaught page errors and HTTP error responses fail it too.
- `shot`: saves a full-page screenshot to test-artifacts/screenshots/<test>-<step>.png.
- `browser_context_args`: options of the test's context; a test may override it through
  `@pytest.mark.parametrize("browser_context_args", [...])`.
- The tests need live_server, hence transactional tests: the database is emptied after each,
  and `tests.factories.accounts.staff_user` grants the role groups again when they are gone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests import services

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Schemes that never leave the machine (inline images, blobs, about:blank).
LOCAL_SCHEMES = {"data", "blob", "about"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from django.db import connections
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=services.CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        # While Playwright's event loop runs, Django keeps the ORM's connections in context-var
        # storage that vanishes with the loop: close them first.
        connections.close_all()
        playwright.stop()


@dataclass
class PageProblems:
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1280, "height": 900}}


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(
    browser: Any,
    live_server: Any,
    browser_context_args: dict[str, Any],
    page_problems: PageProblems,
) -> Iterator[Any]:
    allowed = LOCAL_HOSTS | {urlsplit(live_server.url).hostname}
    problems = page_problems
    context = browser.new_context(**browser_context_args)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)

    def guard(route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.hostname in allowed:
            route.continue_()
        else:
            problems.blocked.append(f"{route.request.resource_type} {url}")
            route.abort("blockedbyclient")

    context.route("**/*", guard)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            problems.console_errors.append(f"{message.text} @ {message.location}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.page_errors.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.bad_responses.append(f"{response.status} {response.url}")
            if response.status >= 400
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not problems.blocked, f"requests tried to leave {live_server.url}: {problems.blocked}"
    assert not problems.page_errors, f"uncaught errors in the page: {problems.page_errors}"
    assert not problems.console_errors, f"console errors: {problems.console_errors}"
    assert not problems.bad_responses, f"HTTP error responses: {problems.bad_responses}"


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def shot(page: Any, request: pytest.FixtureRequest, screenshot_dir: Path) -> Callable[[str], Path]:
    """`shot("step")` saves a full-page screenshot of the page as it is now."""
    name = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")

    def take(step: str) -> Path:
        path = screenshot_dir / f"{name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
