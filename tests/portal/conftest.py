from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path: Path) -> None:
    """Uploaded licences go to a throwaway folder, not var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    """A request in Chinese leaves Chinese active in the test's thread: back to the default
    after each test, so the next one reads English."""
    yield
    translation.deactivate()
