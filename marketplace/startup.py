"""What a serving process checks before it takes work.

The web server (WSGI/ASGI, `runserver` included), the Celery worker and beat call
`require_database_url`. Management commands that only read the code (`makemigrations`,
`check`, `spectacular`) still start without a database named, so tooling and CI work on a bare
checkout.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_DATABASE_URL = (
    "DATABASE_URL is not set. With DEBUG off, set DATABASE_URL to the production database, "
    "e.g. postgres://user:password@host:5432/marketplace. For local development set "
    "DEBUG=true instead (make run does), which uses a SQLite file under var/."
)


def require_database_url() -> None:
    """A production process that lost its DATABASE_URL stops instead of quietly serving an
    empty SQLite database of its own; only local development (DEBUG on) falls back to one."""
    if not settings.DEBUG and not settings.DATABASE_URL:
        raise ImproperlyConfigured(MISSING_DATABASE_URL)
