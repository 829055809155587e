from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiClient, ApiKey, Scope
from accounts.services import api_key_issue, api_key_revoke
from marketplace.errors import DomainError
from tests.factories.accounts import UserFactory, api_client, supplier_token
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_key_is_stored_only_as_a_hash(api):
    client, plain = api_client()
    key = ApiKey.objects.get(user=client.user)
    stored = [str(value) for value in ApiKey.objects.filter(pk=key.pk).values().first().values()]
    assert plain not in stored
    assert not any(plain.split("_", 2)[2] in value for value in stored)
    assert key.key_hash == ApiKey.hash(plain)
    assert api.get("/api/v1/whoami/", **bearer(plain)).status_code == 200


def test_whoami_names_the_integrator_and_its_scopes(api):
    _client, plain = api_client(scopes=["read", "orders:write"])
    body = api.get("/api/v1/whoami/", **bearer(plain)).json()
    assert body["kind"] == "integrator"
    assert body["client"] == "Storefront"
    assert body["scopes"] == ["orders:write", "read"]


def test_a_missing_scope_is_refused_with_the_scope_named(api):
    _client, plain = api_client(scopes=[Scope.TRACKING_WRITE])
    response = api.get("/api/v1/suppliers/", **bearer(plain))
    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "This operation needs the scope `read`.",
        "fields": {},
    }


def test_revocation_takes_effect_on_the_next_request(api):
    client, plain = api_client()
    assert api.get("/api/v1/suppliers/", **bearer(plain)).status_code == 200
    api_key_revoke(key=ApiKey.objects.get(user=client.user), actor=None)
    response = api.get("/api/v1/suppliers/", **bearer(plain))
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_deactivating_the_client_stops_all_its_keys(api):
    client, first = api_client()
    _key, second = api_key_issue(user=client.user, name="second", actor=None)
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    for plain in (first, second):
        assert api.get("/api/v1/whoami/", **bearer(plain)).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer mk_nothing_here", "Bearer garbage", "Bearer mk_abc", "Bearer "],
)
def test_a_wrong_key_is_401_with_the_error_body(api, header):
    response = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_a_guessed_secret_with_a_real_lookup_is_refused(api):
    _client, plain = api_client()
    _prefix, lookup, _secret = plain.split("_", 2)
    forged = f"mk_{lookup}_" + "x" * 43
    assert api.get("/api/v1/whoami/", **bearer(forged)).status_code == 401


def test_no_credentials_is_401(api):
    response = api.get("/api/v1/suppliers/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_last_use_is_recorded_at_most_once_a_minute(api, django_assert_num_queries):
    client, plain = api_client()
    key = ApiKey.objects.get(user=client.user)
    assert key.last_used_at is None
    api.get("/api/v1/whoami/", **bearer(plain))
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    api.get("/api/v1/whoami/", **bearer(plain))
    key.refresh_from_db()
    assert key.last_used_at == first_use
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/v1/whoami/", **bearer(plain))
    key.refresh_from_db()
    assert key.last_used_at > first_use


def test_supplier_user_token_sees_only_its_own_supplier(api, supplier_user, other_supplier_user):
    plain = supplier_token(supplier_user)
    own = supplier_user.supplier_membership.supplier
    other = other_supplier_user.supplier_membership.supplier
    SupplierFactory.create_batch(3)
    body = api.get("/api/v1/suppliers/", **bearer(plain)).json()
    assert [row["id"] for row in body["results"]] == [own.pk]
    assert api.get(f"/api/v1/suppliers/{own.pk}/", **bearer(plain)).status_code == 200
    response = api.get(f"/api/v1/suppliers/{other.pk}/", **bearer(plain))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    whoami = api.get("/api/v1/whoami/", **bearer(plain)).json()
    assert whoami["kind"] == "supplier_user"
    assert whoami["supplier_id"] == own.pk


def test_keys_are_only_for_clients_and_supplier_users():
    with pytest.raises(DomainError) as refused:
        api_key_issue(user=UserFactory(is_staff=True), name="x", actor=None)
    assert refused.value.fields == {
        "user": ["Keys are for integrator accounts and supplier users, not staff."]
    }


def test_unknown_scopes_are_refused():
    with pytest.raises(DomainError) as refused:
        api_client(scopes=["read", "everything"])
    assert refused.value.code == "unknown_scope"
    assert "scopes" in refused.value.fields


def test_a_staff_user_with_a_membership_gets_no_key():
    from tests.factories.suppliers import MembershipFactory

    member = MembershipFactory(user__is_staff=True).user
    with pytest.raises(DomainError):
        api_key_issue(user=member, name="x", actor=None)


def test_keys_stop_when_the_member_leaves_or_the_supplier_is_terminated(api, supplier_user):
    from suppliers.models import Membership, Supplier

    plain = supplier_token(supplier_user)
    assert api.get("/api/v1/whoami/", **bearer(plain)).status_code == 200
    Supplier.objects.filter(pk=supplier_user.supplier_membership.supplier_id).update(
        status="terminated"
    )
    assert api.get("/api/v1/whoami/", **bearer(plain)).status_code == 401
    Supplier.objects.update(status="active")
    Membership.objects.filter(user=supplier_user).delete()
    assert api.get("/api/v1/whoami/", **bearer(plain)).status_code == 401


@pytest.mark.parametrize("forged", ["mk_abc\x00def012_x", "mk_ABCDEF012345_x", "mk_../../etc_x"])
def test_malformed_lookups_are_refused_without_reaching_the_database(api, forged):
    response = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401
