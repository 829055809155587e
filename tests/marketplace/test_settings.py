"""Settings refuse unsafe production values and pass Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7Qp2" * 12,
    "ALLOWED_HOSTS": "backoffice.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://backoffice.example.com",
    "DATABASE_URL": "postgres://marketplace@db.example.com:5432/marketplace",
    "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
    "SECURE_HSTS_PRELOAD": "true",
}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    # The test run's own overrides (plain HTTP, no manifest) must not leak into the child.
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "STATIC_MANIFEST",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    }
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    clean.update(env)
    return subprocess.run(command, cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "manage.py", *args], **env)


def test_check_deploy_passes_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("secret", ["change-me", "django-insecure-abc" + "x" * 60, "short"])
def test_refuses_to_start_without_a_real_secret_key_when_debug_is_off(secret):
    result = manage("check", **{**PRODUCTION, "SECRET_KEY": secret})
    assert result.returncode != 0
    assert "SECRET_KEY is a placeholder or too short" in result.stderr


def test_with_no_secret_key_a_random_one_is_kept_for_this_checkout(tmp_path):
    key_file = tmp_path / "var" / "secret_key"
    first = manage("check", **{**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(key_file)})
    assert first.returncode == 0, first.stderr
    key = key_file.read_text()
    assert len(key) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = manage("check", **{**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(key_file)})
    assert again.returncode == 0, again.stderr
    assert key_file.read_text() == key  # the same key on every start: sessions survive
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = manage(
        "check", **{**PRODUCTION, "SECRET_KEY": "", "SECRET_KEY_FILE": str(blocked / "key")}
    )
    assert unwritable.returncode != 0
    assert "could not be written" in unwritable.stderr


def test_the_servers_refuse_to_start_without_a_database_url_when_debug_is_off():
    without_database = {**PRODUCTION, "DATABASE_URL": ""}
    web = run([sys.executable, "-c", "import marketplace.wsgi"], **without_database)
    assert web.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not set" in web.stderr
    asgi = run([sys.executable, "-c", "import marketplace.asgi"], **without_database)
    assert asgi.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not set" in asgi.stderr
    celery = str(Path(sys.executable).with_name("celery"))
    for process in ("worker", "beat"):
        started = run([celery, "-A", "marketplace", process], **without_database)
        assert started.returncode != 0, process
        assert "ImproperlyConfigured: DATABASE_URL is not set" in (
            started.stdout + started.stderr
        ), process
    # Commands that only read the code run on a bare checkout (CI's migration check).
    code_only = manage("makemigrations", "--check", "--dry-run", **without_database)
    assert code_only.returncode == 0, code_only.stderr


def test_commands_that_touch_the_database_refuse_without_a_database_url_when_debug_is_off():
    without_database = {**PRODUCTION, "DATABASE_URL": ""}
    for command in (["migrate", "--noinput"], ["shell", "-c", "print(1)"], ["seed_demo"]):
        refused = manage(*command, **without_database)
        assert refused.returncode != 0, command
        assert "DATABASE_URL is not set" in refused.stderr, command
    static = manage("collectstatic", "--noinput", "--dry-run", **without_database)
    assert static.returncode == 0, static.stderr


def test_debug_mode_runs_on_sqlite_without_a_database_url():
    result = manage("check", DEBUG="true", SECRET_KEY="", DATABASE_URL="")
    assert result.returncode == 0, result.stderr


def test_debug_mode_runs_without_a_secret_key():
    result = manage("check", DEBUG="true", SECRET_KEY="")
    assert result.returncode == 0, result.stderr


def test_times_are_stored_in_utc(settings):
    assert settings.USE_TZ is True
    assert settings.TIME_ZONE == "UTC"
