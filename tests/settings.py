"""Settings for the test run: the project's own, on the services tests.services chose."""

import os

from tests.services import configure

configure()

from marketplace.settings import *  # noqa: E402, F403

# Full-strength password hashing would take most of the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# One test database per run, so runs side by side (a developer and a helper, two checkouts) never
# drop each other's database.
DATABASES["default"].setdefault("TEST", {})["NAME"] = (  # noqa: F405
    f"test_marketplace_{os.getpid()}"
    if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"  # noqa: F405
    else None
)

# The test framework's flush may empty the append-only ledgers (tests/postgresql/base.py).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "tests.postgresql"  # noqa: F405
