"""Every API error has the same body: {"code", "message", "fields"}."""

from __future__ import annotations

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.test import APIClient

from marketplace.api.exceptions import exception_handler
from marketplace.errors import DomainError, ErrorKind
from tests.factories.accounts import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(api):
    _client, plain = api_client()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return plain


def test_a_bad_filter_value_names_the_field(api, key):
    response = api.get("/api/v1/suppliers/", {"status": "bogus"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["status"]
    assert body["message"].startswith("status:")


def test_an_unknown_api_address_is_a_json_404(api, key):
    response = api.get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No API endpoint at this address.",
        "fields": {},
    }


def test_a_missing_object_is_a_json_404(api, key):
    response = api.get("/api/v1/suppliers/999999/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_method_the_resource_lacks_is_405_not_a_missing_scope(api, key):
    # No scope lets anyone delete suppliers: the resource has no DELETE at all.
    response = api.delete("/api/v1/suppliers/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_throttling_answers_429_with_the_body(api, key, settings, monkeypatch):
    from marketplace.api.throttling import ClientRateThrottle

    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "2/min"})
    assert api.get("/api/v1/whoami/").status_code == 200
    assert api.get("/api/v1/whoami/").status_code == 200
    response = api.get("/api/v1/whoami/")
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_throttle_budget_is_per_client(api, monkeypatch):
    from marketplace.api.throttling import ClientRateThrottle

    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "1/min"})
    _a, first = api_client(name="A")
    _b, second = api_client(name="B")
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 200
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {first}").status_code == 429
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {second}").status_code == 200


class NestedInput(serializers.Serializer):
    quantity = serializers.IntegerField(min_value=1)
    waybill = serializers.RegexField(r"^SF\d{12}$")


def test_validation_errors_name_every_field():
    serializer = NestedInput(data={"quantity": 0, "waybill": "nope"})
    with pytest.raises(ValidationError) as error:
        serializer.is_valid(raise_exception=True)
    response = exception_handler(error.value, {})
    assert response.status_code == 400
    assert set(response.data["fields"]) == {"quantity", "waybill"}
    assert response.data["message"].startswith("quantity:")


def test_domain_errors_keep_their_code_and_fields():
    error = DomainError(
        "listing_not_jit",
        "This listing is not JIT.",
        fields={"listing": ["Not JIT."]},
        kind=ErrorKind.INVALID,
    )
    response = exception_handler(error, {})
    assert response.status_code == 422
    assert response.data == {
        "code": "listing_not_jit",
        "message": "This listing is not JIT.",
        "fields": {"listing": ["Not JIT."]},
    }


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (ErrorKind.MALFORMED, 400),
        (ErrorKind.FORBIDDEN, 403),
        (ErrorKind.NOT_FOUND, 404),
        (ErrorKind.CONFLICT, 409),
        (ErrorKind.INVALID, 422),
    ],
)
def test_the_api_maps_each_kind_of_refusal_to_one_status(kind, status):
    assert exception_handler(DomainError("code", "No.", kind=kind), {}).status_code == status


def test_a_refusal_is_a_conflict_unless_it_says_otherwise():
    assert DomainError("code", "No.").kind == ErrorKind.CONFLICT


def test_non_field_errors_are_kept_under_their_name():
    response = exception_handler(ValidationError({"__all__": ["Both or neither."]}), {})
    assert response.data["fields"] == {"non_field_errors": ["Both or neither."]}
    assert response.data["message"] == "Both or neither."


def test_an_unexpected_error_is_a_json_500(api, key, monkeypatch):
    from accounts.api import views

    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.WhoAmIApi, "get", explode)
    api.raise_request_exception = False
    response = api.get("/api/v1/whoami/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"


def test_a_write_the_resource_has_but_the_key_may_not_make_is_403(api):
    _client, plain = api_client(scopes=["read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    response = api.post("/api/v1/top-ups/", {}, format="json")
    assert response.status_code == 403
    assert "`finance:write`" in response.json()["message"]


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/jit-orders/abc/", "/api/v1/nowhere", "/api/nowhere/", "/api/v2/suppliers/"],
)
def test_every_unknown_api_address_is_a_json_404_also_with_debug_on(
    api, key, settings, debug, path
):
    settings.DEBUG = debug
    for method in ("get", "post", "delete"):
        response = getattr(api, method)(path)
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"


def test_a_missing_trailing_slash_is_a_404_that_names_the_address(api, key):
    response = api.post("/api/v1/tracking/scans", {}, format="json")
    assert response.status_code == 404
    assert response.json()["message"].endswith("did you mean /api/v1/tracking/scans/?")


def test_a_django_error_page_under_the_api_becomes_the_error_body(api, key, settings):
    api.raise_request_exception = False  # answered as a real server would
    # Django answers a query string with too many fields itself, with an HTML page.
    query = "&".join(f"f{n}=1" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    response = api.get(f"/api/v1/suppliers/?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_request"
    # The schema view renders OpenAPI, not JSON, yet its errors have the body too.
    settings.DEBUG = True
    response = api.post("/api/schema/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/suppliers/"),
        ("put", "/api/v1/jit-orders/1/"),
        ("delete", "/api/v1/payables/"),
        ("patch", "/api/v1/me/"),
        ("get", "/api/v1/top-ups/"),
    ],
)
def test_a_method_a_resource_lacks_is_405_for_every_kind_of_caller(method, path, supplier_user):
    from tests.factories.accounts import supplier_token

    _client, read_only = api_client(scopes=["read"])
    for plain in (read_only, supplier_token(supplier_user)):
        caller = APIClient()
        caller.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        response = getattr(caller, method)(path)
        assert response.status_code == 405, (method, path, response.content)
        assert response.json()["code"] == "method_not_allowed"


def test_the_api_index_lists_every_resource_with_its_url(api):
    response = APIClient().get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    names = {row["name"] for row in body["resources"]}
    assert {"suppliers", "jit-orders", "consumer-orders", "warehouses", "tracking/scans"} <= names
    assert not any("{" in name or "<" in name for name in names)
    assert body["schema"] == "http://testserver/api/schema/"
    _client, plain = api_client()
    caller = APIClient()
    caller.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    for row in body["resources"]:
        assert row["url"] == f"http://testserver/api/v1/{row['name']}/"
        # Each is a real endpoint: it answers, or names the method it lacks, never a 404.
        assert caller.get(row["url"]).status_code in {200, 400, 403, 405}, row


def test_the_error_messages_speak_the_callers_language(api, key):
    response = api.get("/api/v1/nowhere/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["message"] == "此地址没有 API 接口。"
    response = api.get("/api/v1/jit-orders/?page_size=0", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.json()["fields"] == {"page_size": ["请填写 1 到 500 之间的整数。"]}


def test_the_api_answers_json_whatever_the_accept_header_asks(api, key):
    for headers in ({"HTTP_ACCEPT": "text/html"}, {"HTTP_ACCEPT": "image/png"}, {}):
        response = api.get("/api/v1/whoami/?format=xml", **headers)
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "application/json"


def test_a_body_that_is_not_json_is_a_415_with_the_error_body(api, key):
    response = api.post("/api/v1/top-ups/", "supplier=1", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
