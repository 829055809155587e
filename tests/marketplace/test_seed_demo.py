from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from accounts.models import ApiKey, Scope, User
from orders.models import JitOrder
from suppliers.models import Membership, Supplier

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _demo(monkeypatch):
    monkeypatch.setenv("DEMO_DATA", "true")


def test_refuses_with_debug_off_unless_told_it_is_a_demo(monkeypatch, tmp_path):
    from django.core.management import CommandError

    monkeypatch.delenv("DEMO_DATA")
    with pytest.raises(CommandError, match="known passwords"):
        call_command("seed_demo", credentials_file=str(tmp_path / "c.json"), verbosity=0)
    assert not User.objects.exists()


def test_seed_demo_is_idempotent_and_writes_working_credentials(tmp_path, client, api):
    target = tmp_path / "demo_credentials.json"
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    first = json.loads(target.read_text())
    counts = (User.objects.count(), Supplier.objects.count(), Membership.objects.count())
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    second = json.loads(target.read_text())

    assert (User.objects.count(), Supplier.objects.count(), Membership.objects.count()) == counts
    # JIT orders about to cross each reminder and penalty deadline: made once, not twice.
    assert JitOrder.objects.filter(external_id__startswith="DEMO-JIT-").count() == 4
    assert second == first  # same logins, and the still-valid API key is kept
    assert ApiKey.objects.count() == 1
    roles = {row["role"] for row in first["users"]}
    assert {"operator", "compliance", "finance", "supplier"} <= roles
    assert len([row for row in first["users"] if row["role"] == "supplier"]) == 2
    assert set(first["users"][0]) == {"role", "username", "password", "supplier"}

    whoami = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {first['api_key']}").json()
    assert whoami["kind"] == "integrator"
    assert whoami["scopes"] == sorted(Scope.values)
    for row in first["users"]:
        login = "/portal/login/" if row["role"] == "supplier" else "/admin/login/"
        response = client.post(login, {"username": row["username"], "password": row["password"]})
        assert response.status_code == 302, row
        client.logout()


def test_a_revoked_demo_key_is_replaced(tmp_path, api):
    target = tmp_path / "demo_credentials.json"
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    old = json.loads(target.read_text())["api_key"]
    ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    new = json.loads(target.read_text())["api_key"]
    assert new != old
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 200


def test_the_demo_starts_with_a_handful_of_unread_notifications(tmp_path, client):
    from portal.demo import DEMO_UNREAD

    call_command("seed_demo", credentials_file=str(tmp_path / "c.json"), verbosity=0)
    bright = User.objects.get(username="bright")
    client.force_login(bright)
    unread = client.get("/portal/").context["portal_unread"]
    assert 0 < unread <= DEMO_UNREAD
    # Opening the list reads them; a second seed leaves the member's mark where it is.
    client.get("/portal/notifications/")
    call_command("seed_demo", credentials_file=str(tmp_path / "c.json"), verbosity=0)
    # The seed set the demo password again, which ends the session.
    client.force_login(User.objects.get(username="bright"))
    assert client.get("/portal/").context["portal_unread"] == 0
