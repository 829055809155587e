"""Malformed and hostile input to the API is a 400 naming what is wrong, never a 500: crafted
cursors, page sizes, time offsets, ids, deep JSON, lone surrogates, huge values, too many rows.
The lists of operations come from the generated schema, so a new list, filter or POST is covered
without editing this file. NUL characters, in every door: test_nul_bytes.py."""

from __future__ import annotations

import base64
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.api_support import assert_error, bearer, demo_api_data
from tests.factories.accounts import api_client, supplier_token

pytestmark = pytest.mark.django_db

API = "/api/v1/"


@pytest.fixture(scope="module")
def operations() -> list[tuple[str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method.upper(), operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
    ]


def _lists_with(operations, parameter: str) -> list[tuple[str, list[str]]]:
    found = []
    for path, method, operation in operations:
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"]
        if method == "GET" and "{" not in path and parameter in names:
            found.append((path, names))
    return found


@pytest.fixture
def supplier_api(supplier_user):
    return bearer(supplier_token(supplier_user))


@pytest.fixture
def integrator_api():
    _client, plain = api_client(
        scopes=["read", "orders:write", "tracking:write", "finance:write", "labs:write"]
    )
    return bearer(plain)


def _cursor(query: str) -> str:
    return base64.b64encode(query.encode()).decode()


CRAFTED_CURSORS = [
    "not-a-cursor",  # not base64 at all: DRF's undocumented 404
    "%F0%9F%92%A9",  # not ASCII
    _cursor("o=abc"),  # an offset that is not a number
    _cursor("p=yesterday"),  # a position that is not of the ordering field's type
    _cursor("p=2026-01-01 00:00:00+20:00"),  # an offset PostgreSQL refuses
    _cursor("p=2026-01-01 00:00:00"),  # a naive time
    _cursor("p=9999-12-31 23:00:00-10:00"),  # beyond year 9999 in UTC
    _cursor("p=1\x00"),  # a NUL byte
    _cursor("p=99999999999999999999999"),  # beyond a bigint
]


def test_a_crafted_cursor_is_a_400_naming_the_cursor_on_every_list(operations, supplier_api):
    lists = _lists_with(operations, "cursor")
    assert len(lists) >= 13, lists  # every cursor-paginated list of the API
    for path, _names in lists:
        for cursor in CRAFTED_CURSORS:
            response = supplier_api.get(f"{path}?cursor={cursor}")
            if response.status_code == 403:  # a list this caller may not read at all
                continue
            body = assert_error(response, 400, "invalid_cursor")
            assert list(body["fields"]) == ["cursor"], (path, cursor)
        # Two cursors are as wrong as a bad one.
        first = supplier_api.get(path).json()
        if isinstance(first, dict) and first.get("next"):
            token = re.search(r"cursor=([^&]+)", first["next"]).group(1)
            assert_error(
                supplier_api.get(f"{path}?cursor={token}&cursor={token}"), 400, "invalid_cursor"
            )


@pytest.mark.parametrize("value", ["null", "0", "-1", "501", "1.5", "ten", "\uff11\uff10"])
def test_a_page_size_that_is_not_1_to_500_is_a_400(supplier_api, value):
    body = assert_error(supplier_api.get(f"{API}jit-orders/?page_size={value}"), 400, "invalid")
    assert list(body["fields"]) == ["page_size"]


def test_a_page_size_within_bounds_is_used(supplier_api):
    response = supplier_api.get(f"{API}jit-orders/?page_size=500")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "2026-01-01T00:00:00+20:00",  # within Python's range, beyond PostgreSQL's: was a 500
        "2026-01-01T00:00:00+99:00",
        "2026-01-01T00:00:00-16:00",
        "0001-01-01T00:00:00+10:00",  # before year 1 in UTC
    ],
)
def test_a_utc_offset_beyond_1559_is_a_400_on_every_datetime_filter(
    operations, supplier_api, integrator_api, value
):
    checked = 0
    for path, method, operation in operations:
        if method != "GET" or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("format") != "date-time":
                continue
            caller = supplier_api
            response = caller.get(path, {parameter["name"]: value})
            if response.status_code == 403:
                response = integrator_api.get(path, {parameter["name"]: value})
            body = assert_error(response, 400, "invalid")
            assert list(body["fields"]) == [parameter["name"]], (path, body)
            checked += 1
    assert checked >= 10


def test_a_utc_offset_within_range_is_read_in_utc(integrator_api):
    response = integrator_api.get(f"{API}jit-orders/", {"ordered_after": "2026-01-01T08:00+15:59"})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("value", ["1e999999999", "1.5", "NaN", "0", "9223372036854775808"])
def test_an_id_filter_takes_whole_numbers_within_a_bigint(integrator_api, value):
    # `1e999999999` kept a worker busy turning it into an integer.
    body = assert_error(integrator_api.get(f"{API}products/?category={value}"), 400, "invalid")
    assert list(body["fields"]) == ["category"]


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def _path_ids(path: str, callers) -> str | None:
    """The path with its ids filled in from the caller's own rows (the first of each list)."""
    if "{" not in path:
        return path
    collection = path.split("{", 1)[0]
    for caller in callers:
        response = caller.get(collection)
        if response.status_code != 200:
            continue
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        if rows:
            return re.sub(r"\{[^}]+\}", str(rows[0]["id"]), path, count=1)
    return None


def test_json_nested_1100_deep_is_a_400_on_every_operation_with_a_body(
    operations, monkeypatch, tmp_path
):
    monkeypatch.setenv("DEMO_DATA", "true")
    keys = demo_api_data(tmp_path / "demo.json")
    integrator, supplier = bearer(keys["integrator"]), bearer(keys["supplier"])
    checked = []
    for path, method, operation in operations:
        if "requestBody" not in operation:
            continue
        if "application/json" not in operation["requestBody"].get("content", {}):
            continue  # a multipart upload (a lab's report): JSON is a 415 there, tested apart
        url = _path_ids(path, (supplier, integrator))
        assert url is not None, f"the demo data has nothing for {path}"
        for caller in (supplier, integrator):
            response = caller.generic(
                method,
                url,
                _deep(1100),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="deep-json",
            )
            if response.status_code != 403:
                break
        body = assert_error(response, 400, "parse_error")
        assert "nested" in body["message"], (method, path)
        checked.append(f"{method} {path}")
    assert len(checked) >= 15, checked
    # Within the limit, the body is read as usual (and refused for its content).
    response = integrator.post(f"{API}top-ups/", _deep(20), content_type="application/json")
    assert_error(response, 400, "invalid")


def test_a_lone_surrogate_with_an_idempotency_key_is_a_400_naming_the_field(integrator_api):
    body = '{"listing": 1, "quantity": 1, "market": "US", "external_id": "\\ud800"}'
    response = integrator_api.post(
        f"{API}consumer-orders/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert assert_error(response, 400, "invalid")["fields"] == {
        "external_id": ["Lone surrogate characters are not allowed."]
    }
    response = integrator_api.post(
        f"{API}jit-orders/",
        '{"listing": 1, "quantity": 1, "external_id": "x", "\\udfff": 1}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k2",
    )
    assert_error(response, 400, "invalid")


def test_a_100000_character_value_is_never_echoed_back(supplier_api, integrator_api):
    huge = "9" * 100_000
    responses = [
        supplier_api.post(f"{API}jit-orders/1/ship/", {"waybill": huge}, format="json"),
        supplier_api.post(
            f"{API}jit-orders/ship/", {"orders": [{"id": 1, "waybill": huge}]}, format="json"
        ),
        integrator_api.post(
            f"{API}tracking/scans/",
            {"waybill": huge, "scanned_at": "2026-01-01T00:00:00Z", "event": "x"},
            format="json",
        ),
        integrator_api.post(
            f"{API}consumer-orders/",
            {"listing": 1, "quantity": 1, "external_id": "x", "market": huge},
            format="json",
            HTTP_IDEMPOTENCY_KEY="huge",
        ),
        integrator_api.get(f"{API}jit-orders/", {"status": huge}),
        integrator_api.get(f"{API}{huge}/"),
    ]
    for response in responses:
        assert response.status_code < 500
        assert set(response.json()) == {"code", "message", "fields"}
        assert len(response.content) < 2_000, response.content[:300]


def test_many_rows_are_refused_before_each_is_checked(supplier_api):
    rows = [{"id": n, "waybill": "x"} for n in range(1, 10_001)]
    response = supplier_api.post(f"{API}jit-orders/ship/", {"orders": rows}, format="json")
    body = assert_error(response, 400, "invalid")
    assert list(body["fields"]) == ["orders"]
    assert len(response.content) < 1_000
