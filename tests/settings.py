"""Settings for the test run: the project's own, on the services tests.services chose."""

from tests.services import configure

configure()

from marketplace.settings import *  # noqa: E402, F403

# Hashing demo passwords at full strength would make up most of the suite's run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
