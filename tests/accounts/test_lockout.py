"""Repeated failed logins lock the username and address out, on the portal and the admin."""

from __future__ import annotations

import pytest

from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def limit(settings) -> int:
    return settings.AXES_FAILURE_LIMIT


@pytest.mark.parametrize(
    ("login_url", "user_fixture"),
    [("/portal/login/", "supplier_user"), ("/admin/login/", "operator")],
)
def test_lockout_after_repeated_failures(client, request, limit, login_url, user_fixture):
    user = request.getfixturevalue(user_fixture)
    for _ in range(limit - 1):
        response = client.post(login_url, {"username": user.username, "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(login_url, {"username": user.username, "password": "wrong"})
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Sign-in locked" in page
    assert "15 minutes" in page
    # Even the right password is refused while the lock lasts.
    again = client.post(login_url, {"username": user.username, "password": PASSWORD})
    assert again.status_code == 429


def test_the_lock_is_per_username_and_address(client, supplier_user, other_supplier_user, limit):
    for _ in range(limit):
        client.post("/portal/login/", {"username": "sup", "password": "wrong"})
    other = client.post("/portal/login/", {"username": "rival", "password": PASSWORD})
    assert other.status_code == 302
    elsewhere = client.post(
        "/portal/login/", {"username": "sup", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert elsewhere.status_code == 302


def test_a_success_resets_the_count(client, supplier_user, limit):
    for _ in range(limit - 1):
        client.post("/portal/login/", {"username": "sup", "password": "wrong"})
    assert (
        client.post("/portal/login/", {"username": "sup", "password": PASSWORD}).status_code == 302
    )
    client.post("/portal/logout/")
    for _ in range(limit - 1):
        response = client.post("/portal/login/", {"username": "sup", "password": "wrong"})
    assert response.status_code == 200
