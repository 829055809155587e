"""The returns API: the storefront opens, reads and cancels its returns with an Idempotency-Key;
suppliers read their own returns and chargebacks; staff all; every refusal names its field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Scope
from returns.models import Chargeback, ReturnRequest
from returns.services.receiving import Inspection, return_inspect
from returns.services.requests import return_authorise
from tests.api_support import assert_error, bearer, ids
from tests.factories.accounts import UserFactory, api_client, supplier_token
from tests.factories.logistics import member_of, operator

from .conftest import delivered, open_return, storefront_user

pytestmark = pytest.mark.django_db

RETURNS = "/api/v1/returns/"
REASONS = "/api/v1/return-reasons/"
CHARGEBACKS = "/api/v1/chargebacks/"


def _shop(name: str = "Shop"):
    client, key = api_client([Scope.READ, Scope.ORDERS_WRITE], name=name)
    return client.user, bearer(key)


def _session(user) -> APIClient:
    caller = APIClient()
    caller.force_login(user)
    return caller


def _body(parcel, *, quantity=1, reason="defective", note="", external_id="R-1") -> dict:
    return {
        "parcel": parcel.pk,
        "external_id": external_id,
        "lines": [
            {"item": parcel.items.get().pk, "quantity": quantity, "reason": reason, "note": note}
        ],
    }


def _post(caller, body, key="k-1"):
    return caller.post(RETURNS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_the_storefront_opens_a_return_once_per_key(centre):
    user, caller = _shop()
    parcel = delivered(user, quantity=2)
    response = _post(caller, _body(parcel, quantity=2))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "requested"
    assert body["return_centre"] == centre.pk
    assert body["lines"][0]["reason"] == "defective"
    assert body["lines"][0]["unit_value_usd"] == "25.00"
    assert body["refund"] is None
    again = _post(caller, _body(parcel, quantity=2))
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert ReturnRequest.objects.count() == 1
    assert_error(_post(caller, _body(parcel, quantity=1)), 422, "idempotency_key_reused")
    assert_error(
        caller.post(RETURNS, _body(parcel), format="json"), 400, "idempotency_key_required"
    )


def test_a_reused_reference_names_the_existing_return(centre):
    user, caller = _shop()
    parcel = delivered(user, quantity=2)
    first = _post(caller, _body(parcel)).json()
    body = assert_error(_post(caller, _body(parcel), key="k-2"), 409, "duplicate_external_id")
    assert str(first["id"]) in body["fields"]["external_id"][0]


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"reason": "nope"}, 422, "unknown_reason", "lines[0].reason"),
        ({"reason": "other"}, 422, "note_required", "lines[0].note"),
        ({"quantity": 3}, 409, "already_returned", "lines[0].quantity"),
    ],
)
def test_bad_lines_are_refused_with_the_field(centre, change, status, code, field):
    user, caller = _shop()
    parcel = delivered(user, quantity=2)
    body = assert_error(_post(caller, _body(parcel, **change)), status, code)
    assert field in body["fields"]
    assert not ReturnRequest.objects.exists()


def test_a_quantity_under_one_is_a_400_naming_it(centre):
    user, caller = _shop()
    parcel = delivered(user)
    body = assert_error(_post(caller, _body(parcel, quantity=0)), 400, "invalid")
    assert "quantity" in str(body["fields"]["lines"]), body


def test_undelivered_late_and_foreign_parcels_are_refused(centre):
    from shipping.models import Parcel

    user, caller = _shop()
    parcel = delivered(user)
    Parcel.objects.filter(pk=parcel.pk).update(status=Parcel.Status.CUSTOMS_CLEARED)
    assert_error(_post(caller, _body(parcel)), 409, "parcel_not_delivered")
    late = delivered(user, delivered_at=timezone.now() - timedelta(days=31))
    assert_error(_post(caller, _body(late), key="k-2"), 422, "return_window_ended")
    foreign = delivered(storefront_user("Other"))
    body = assert_error(_post(caller, _body(foreign), key="k-3"), 404, "parcel_not_found")
    assert "parcel" in body["fields"]


def test_without_orders_write_a_return_cannot_be_opened(centre):
    client, key = api_client([Scope.READ], name="Reader")
    parcel = delivered(client.user)
    assert_error(_post(bearer(key), _body(parcel)), 403, "permission_denied")


def test_each_caller_reads_only_what_it_may(centre):
    shop, shop_api = _shop("Shop")
    other, _other_api = _shop("Other")
    mine = open_return(shop, delivered(shop))
    theirs = open_return(other, delivered(other))
    assert ids(shop_api.get(RETURNS).json()["results"]) == [mine.pk]
    assert shop_api.get(f"{RETURNS}{theirs.pk}/").status_code == 404
    member = member_of(mine.listing)
    supplier_api = bearer(supplier_token(member))
    assert ids(supplier_api.get(RETURNS).json()["results"]) == [mine.pk]
    assert supplier_api.get(f"{RETURNS}{theirs.pk}/").status_code == 404
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_returnrequest"))
    staff_api = _session(staff)
    assert set(ids(staff_api.get(RETURNS).json()["results"])) == {mine.pk, theirs.pk}
    nobody = _session(UserFactory(is_staff=True))
    assert nobody.get(RETURNS).json()["results"] == []


def test_the_storefront_cancels_its_own_return_only(centre):
    shop, shop_api = _shop("Shop")
    _other, other_api = _shop("Other")
    request = open_return(shop, delivered(shop))
    assert other_api.post(f"{RETURNS}{request.pk}/cancel/").status_code == 404
    member_api = bearer(supplier_token(member_of(request.listing)))
    assert member_api.post(f"{RETURNS}{request.pk}/cancel/").status_code == 403
    response = shop_api.post(f"{RETURNS}{request.pk}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"


def test_a_received_return_cannot_be_cancelled(centre):
    shop, shop_api = _shop()
    request = open_return(shop, delivered(shop))
    staff = operator()
    return_authorise(request, actor=staff)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 0, 1, 0, 0)}, actor=staff)
    assert_error(shop_api.post(f"{RETURNS}{request.pk}/cancel/"), 409, "return_received")


def test_reasons_are_listed_in_order_in_the_readers_language(centre):
    _user, caller = _shop()
    rows = caller.get(REASONS).json()
    assert [r["code"] for r in rows][:2] == ["defective", "not_as_described"]
    other = next(r for r in rows if r["code"] == "other")
    assert other["requires_note"]
    assert not other["counts_as_defect"]
    zh = caller.get(REASONS, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh[0]["label"] == "商品有缺陷"


def test_return_list_queries_do_not_grow(centre, django_assert_max_num_queries):
    shop, caller = _shop()
    for n in range(2):
        open_return(shop, delivered(shop), external_id=f"A-{n}")
    with django_assert_max_num_queries(20) as few:
        assert len(caller.get(RETURNS).json()["results"]) == 2
    for n in range(8):
        open_return(shop, delivered(shop), external_id=f"B-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(caller.get(RETURNS).json()["results"]) == 10


# --- Chargebacks ------------------------------------------------------------------------------


def _chargeback(shop) -> Chargeback:
    request = open_return(shop, delivered(shop), external_id=f"C-{ReturnRequest.objects.count()}")
    staff = operator()
    return_authorise(request, actor=staff)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 1, 0, 1, 0)}, actor=staff)
    return Chargeback.objects.get(line__request=request)


def test_chargebacks_are_the_suppliers_own_and_never_an_integrators(centre, finance_user):
    shop, shop_api = _shop()
    mine, theirs = _chargeback(shop), _chargeback(shop)
    member_api = bearer(supplier_token(member_of(mine.line.request.listing)))
    rows = member_api.get(CHARGEBACKS).json()["results"]
    assert ids(rows) == [mine.pk]
    assert rows[0]["amount"] == "35.00"
    assert rows[0]["may_appeal"] is True
    assert_error(shop_api.get(CHARGEBACKS), 403, "permission_denied")
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_chargeback"))
    staff_api = _session(staff)
    assert set(ids(staff_api.get(CHARGEBACKS).json()["results"])) == {mine.pk, theirs.pk}


def test_chargeback_list_queries_do_not_grow(centre, django_assert_max_num_queries):
    shop, _caller = _shop()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_chargeback"))
    staff_api = _session(staff)
    for _ in range(2):
        _chargeback(shop)
    with django_assert_max_num_queries(20) as few:
        assert len(staff_api.get(CHARGEBACKS).json()["results"]) == 2
    for _ in range(8):
        _chargeback(shop)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(staff_api.get(CHARGEBACKS).json()["results"]) == 10
