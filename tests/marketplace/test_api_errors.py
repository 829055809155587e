"""Every API error has the same body: {"code", "message", "fields"}."""

from __future__ import annotations

import pytest
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from marketplace.api.exceptions import exception_handler
from marketplace.errors import DomainError
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


def test_a_write_without_its_scope_is_403_with_the_body(api, key):
    # The key has every integrator scope, but no scope lets anyone delete suppliers.
    response = api.delete("/api/v1/suppliers/")
    assert response.status_code == 403
    assert set(response.json()) == {"code", "message", "fields"}


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


def test_domain_errors_keep_their_code_status_and_fields():
    error = DomainError(
        "listing_not_jit", "This listing is not JIT.", fields={"listing": ["Not JIT."]}, status=422
    )
    response = exception_handler(error, {})
    assert response.status_code == 422
    assert response.data == {
        "code": "listing_not_jit",
        "message": "This listing is not JIT.",
        "fields": {"listing": ["Not JIT."]},
    }


def test_non_field_errors_are_kept_under_their_name():
    response = exception_handler(ValidationError({"__all__": ["Both or neither."]}), {})
    assert response.data["fields"] == {"non_field_errors": ["Both or neither."]}
    assert response.data["message"] == "Both or neither."


def test_an_unexpected_error_is_a_json_500(api, key, monkeypatch):
    from marketplace.api import views

    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.WhoAmIApi, "get", explode)
    api.raise_request_exception = False
    response = api.get("/api/v1/whoami/")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
