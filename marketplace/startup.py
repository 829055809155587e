"""What a serving process checks before it takes work.

The web server (WSGI/ASGI, `runserver` included), the Celery worker and beat call
`require_database_url`, and so does every management command that may touch the database
(`migrate`, `shell`, `createsuperuser`, `seed_demo`, ...: manage.py asks
`require_database_url_for`). Commands that only read the code (`makemigrations`, `check`,
`spectacular`, `collectstatic`, ...) still start without a database named, so tooling, CI and
an image build work on a bare checkout.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MISSING_DATABASE_URL = (
    "DATABASE_URL is not set. With DEBUG off, set DATABASE_URL to the production database, "
    "e.g. postgres://user:password@host:5432/marketplace. For local development set "
    "DEBUG=true instead (make run does), which uses a SQLite file under var/."
)


# Commands that read the code and files only, never the database.
CODE_ONLY_COMMANDS = frozenset(
    {
        "check",
        "collectstatic",
        "compilemessages",
        "help",
        "makemessages",
        "makemigrations",
        "spectacular",
        "version",
        "webhook_docs",
    }
)


def require_database_url_for(argv: list[str]) -> None:
    """manage.py's check: a command that may touch the database needs DATABASE_URL when DEBUG
    is off (a `migrate` missing its environment must not "succeed" on a throwaway file)."""
    command = argv[1] if len(argv) > 1 else "help"
    if command.startswith("-") or command in CODE_ONLY_COMMANDS:
        return
    require_database_url()


def require_database_url() -> None:
    """A production process that lost its DATABASE_URL stops instead of quietly serving an
    empty SQLite database of its own; only local development (DEBUG on) falls back to one."""
    if not settings.DEBUG and not settings.DATABASE_URL:
        raise ImproperlyConfigured(MISSING_DATABASE_URL)
