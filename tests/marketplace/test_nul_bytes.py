"""PostgreSQL refuses NUL in text: a NUL byte typed into any search box or filter of the portal
or the admin is a 400 page, and one sent to the API a 400 with the error body; never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api_support import assert_error, bearer
from tests.factories.accounts import UserFactory, api_client, supplier_token
from tests.factories.catalogue import CategoryFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

PORTAL_PAGES = [
    "products",
    "listings",
    "ledger",
    "ledger_csv",
    "orders",
    "orders_to_ship",
    "penalties",
    "stocking_orders",
    "shipments",
    "payables",
    "overstock_offers",
    "tenders",
    "notifications",
]
ADMIN_LISTS = [
    "suppliers/supplier",
    "suppliers/ledgerentry",
    "catalogue/product",
    "catalogue/listing",
    "orders/jitorder",
    "orders/consumerorder",
    "logistics/inboundshipment",
    "accounts/user",
]
QUERIES = ["q=%00", "q=robot%00", "status=%00", "page=%00", "kind=a%00b", "%00=1"]


@pytest.fixture
def member():
    CategoryFactory(code="toys")
    return MembershipFactory(role="owner", user__username="maker")


@pytest.mark.parametrize("query", QUERIES)
def test_a_nul_byte_in_a_portal_query_is_a_400_page(client, member, query):
    client.force_login(member.user)
    for name in PORTAL_PAGES:
        response = client.get(f"{reverse(f'portal:{name}')}?{query}")
        assert response.status_code == 400, (name, query)
        assert response["Content-Type"].startswith("text/html")
        assert "such as a NUL character" in response.content.decode()


@pytest.mark.parametrize("query", QUERIES)
def test_a_nul_byte_in_an_admin_search_or_filter_is_a_400_page(client, query):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for name in ADMIN_LISTS:
        response = client.get(f"/admin/{name}/?{query}")
        assert response.status_code == 400, (name, query)


def test_a_search_without_nul_still_works(client, member):
    client.force_login(member.user)
    assert client.get(reverse("portal:products"), {"q": "robot"}).status_code == 200


def test_the_400_page_speaks_the_readers_language(client, member):
    client.force_login(member.user)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("portal:products") + "?q=%00").content.decode()
    assert "请求有误" in page


def test_a_nul_byte_typed_into_an_admin_reason_is_a_400_and_changes_nothing(client):
    from accounts.roles import OPERATORS
    from tests.factories.accounts import staff_user
    from tests.factories.suppliers import SupplierFactory

    supplier = SupplierFactory(status="active")
    client.force_login(staff_user(OPERATORS, username="op"))
    response = client.post(
        "/admin/suppliers/supplier/",
        {"action": "suspend", "_selected_action": [supplier.pk], "reason": "late\x00"},
    )
    assert response.status_code == 400
    supplier.refresh_from_db()
    assert supplier.status == "active"


# --- The API ----------------------------------------------------------------------------------


def test_a_nul_character_in_an_api_body_is_a_400_naming_its_place(supplier_user):
    supplier_api = bearer(supplier_token(supplier_user))
    response = supplier_api.post(
        "/api/v1/jit-orders/ship/",
        {"orders": [{"id": 1, "waybill": "SF1234567890"}, {"id": 2, "waybill": "SF\x00"}]},
        format="json",
    )
    assert assert_error(response, 400, "invalid")["fields"] == {
        "orders[1].waybill": ["NUL characters are not allowed."]
    }


@pytest.mark.parametrize(
    "query", ["search=%00", "hs_code=a%00b", "%00=1", "page_size=1%00", "cursor=%00"]
)
def test_a_nul_character_in_an_api_query_is_a_400_with_the_error_body(query):
    _client, plain = api_client(scopes=["read"])
    integrator_api = bearer(plain)
    response = integrator_api.get(f"/api/v1/products/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "fields"}
