"""The browser fixtures (tests/browser/conftest.py) for the scorecard page's phone test."""

from tests.browser.conftest import (  # noqa: F401
    browser,
    browser_context_args,
    page,
    page_problems,
    screenshot_dir,
    shot,
)
