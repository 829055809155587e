"""What every API test does: call with a key, check the one error body, walk cursor pages."""

from __future__ import annotations

from rest_framework.test import APIClient


def bearer(plain: str) -> APIClient:
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return caller


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["code"] == code, body
    return body


def walk(caller: APIClient, url: str) -> list[dict]:
    """Every row of a cursor-paginated list, following `next`."""
    rows = []
    while url:
        response = caller.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
    return rows


def ids(rows: list[dict]) -> list[int]:
    return [row["id"] for row in rows]
