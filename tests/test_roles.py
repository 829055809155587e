"""Each role reaches what its work needs and gets 403/404 (or the login page) elsewhere, through
all three doors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts.roles import COMPLIANCE, FINANCE, OPERATORS
from tests.factories.accounts import PASSWORD
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = {
    "suppliers": "/admin/suppliers/supplier/",
    "add_supplier": "/admin/suppliers/supplier/add/",
    "api_clients": "/admin/accounts/apiclient/",
    "api_keys": "/admin/accounts/apikey/",
    "periodic_tasks": "/admin/django_celery_beat/periodictask/",
    "job_runs": "/admin/marketplace/jobrun/",
    "users": "/admin/accounts/user/",
    "add_user": "/admin/accounts/user/add/",
    "groups": "/admin/auth/group/",
    "categories": "/admin/catalogue/category/",
    "products": "/admin/catalogue/product/",
    "listings": "/admin/catalogue/listing/",
    "price_rounds": "/admin/catalogue/priceround/",
    "tenders": "/admin/catalogue/tender/",
    "open_tender": "/admin/catalogue/tender/add/",
    "jit_orders": "/admin/orders/jitorder/",
    "penalties": "/admin/orders/penalty/",
    "appeals": "/admin/orders/appeal/",
    "warehouses": "/admin/logistics/warehouse/",
    "pickup_clusters": "/admin/logistics/pickupcluster/",
    "pickup_slots": "/admin/logistics/pickupslot/",
    "stocking_orders": "/admin/logistics/stockingorder/",
    "issue_stocking_order": "/admin/logistics/stockingorder/add/",
    "shipments": "/admin/logistics/inboundshipment/",
    "inbound_lines": "/admin/logistics/inboundline/",
    "inspections": "/admin/logistics/inspection/",
    "sampling_states": "/admin/logistics/samplingstate/",
    "stock_positions": "/admin/logistics/stockposition/",
    "overstock_offers": "/admin/logistics/overstockoffer/",
    "consumer_orders": "/admin/orders/consumerorder/",
    "payables": "/admin/orders/payable/",
}
CATALOGUE = {"categories", "products", "listings", "price_rounds", "tenders", "open_tender"}
JIT = {"jit_orders", "penalties", "appeals"}
LOGISTICS = {
    "warehouses",
    "pickup_clusters",
    "pickup_slots",
    "stocking_orders",
    "issue_stocking_order",
    "shipments",
    "inbound_lines",
    "inspections",
    "sampling_states",
    "stock_positions",
    "overstock_offers",
    "consumer_orders",
    "payables",
}

# What each role may open in the admin; everything else answers 403.
ALLOWED = {
    "operator": {
        "suppliers",
        "add_supplier",
        "api_clients",
        "api_keys",
        "periodic_tasks",
        "job_runs",
        "users",
        *CATALOGUE,
        *JIT,
        *LOGISTICS,
    },
    "compliance": {
        "suppliers",
        "job_runs",
        "categories",
        "products",
        "listings",
        "jit_orders",
        "penalties",
        "shipments",
        "inbound_lines",
        "inspections",
        "sampling_states",
        "stock_positions",
    },
    "finance": {
        "suppliers",
        "job_runs",
        "listings",
        "price_rounds",
        "penalties",
        "appeals",
        "payables",
        "consumer_orders",
        "stock_positions",
        "overstock_offers",
    },
}


@pytest.fixture
def role_users(operator, compliance_officer, finance_user):
    return {"operator": operator, "compliance": compliance_officer, "finance": finance_user}


@pytest.mark.parametrize("role", ["operator", "compliance", "finance"])
def test_admin_pages_by_role(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get("/admin/").status_code == 200
    for page, url in ADMIN_PAGES.items():
        expected = 200 if page in ALLOWED[role] else 403
        assert client.get(url).status_code == expected, (role, url)


def test_only_operators_may_change_a_supplier(client, role_users):
    supplier = SupplierFactory()
    url = f"/admin/suppliers/supplier/{supplier.pk}/change/"
    for role in ("compliance", "finance"):
        client.force_login(role_users[role])
        page = client.get(url)
        assert page.status_code == 200
        assert b'name="name_en"' not in page.content  # read-only view
        assert client.post(url, {"name_en": "X"}).status_code == 403
    client.force_login(role_users["operator"])
    assert b'name="name_en"' in client.get(url).content


def test_supplier_user_cannot_enter_the_admin(client, supplier_user):
    client.force_login(supplier_user)
    response = client.get("/admin/suppliers/supplier/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("role", ["operator", "compliance", "finance"])
def test_staff_get_403_in_the_portal(client, role_users, role):
    client.force_login(role_users[role])
    assert client.get("/portal/").status_code == 403
    assert client.get("/portal/api-keys/").status_code == 403


def test_supplier_user_reaches_its_portal(client, supplier_user):
    client.force_login(supplier_user)
    page = client.get("/portal/")
    assert page.status_code == 200
    assert supplier_user.supplier_membership.supplier.name_zh in page.content.decode()


@pytest.mark.parametrize("role", ["operator", "compliance", "finance"])
def test_staff_read_suppliers_through_the_api(client, role_users, role):
    SupplierFactory.create_batch(2)
    client.force_login(role_users[role])
    response = client.get("/api/v1/suppliers/")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    whoami = client.get("/api/v1/whoami/").json()
    assert whoami["kind"] == "staff"
    # Finance records top-ups through the API too.
    assert whoami["scopes"] == (["finance:write", "read"] if role == "finance" else ["read"])


def test_staff_without_a_role_reads_no_suppliers(client):
    from tests.factories.accounts import UserFactory

    SupplierFactory()
    client.force_login(UserFactory(is_staff=True))
    assert client.get("/api/v1/suppliers/").json()["results"] == []


# Compliance (accounts 0009): officers keep the rules, labs, evidence, audits, cases and sampling.
_EDITED = [
    "standard",
    "testspecification",
    "testprogramme",
    "programmerequirement",
    "lab",
    "labaccreditation",
    "certificate",
    "audit",
    "finding",
    "markethold",
    "samplingrequest",
]
_CHANGED = ["correctiveaction", "enforcementcase"]
_READ = ["measurement", "actionevidence", "samplingdraw", "trustpage"]
COMPLIANCE_MODELS_OFFICERS = (
    {f"compliance.{v}_{m}" for m in _EDITED for v in ("view", "add", "change")}
    | {f"compliance.{v}_{m}" for m in _CHANGED for v in ("view", "change")}
    | {f"compliance.view_{m}" for m in _READ}
)
# accounts 0011: what compliance's consequences added.
_FOLLOW_UPS = {
    "catalogue.view_listingactionpause",
    "logistics.view_quarantine",
    "compliance.view_listingmarketstatus",
    "compliance.view_expirywarning",
}
COMPLIANCE_MODELS_OFFICERS |= _FOLLOW_UPS | {"logistics.change_quarantine"}
COMPLIANCE_MODELS_OPERATORS = {
    f"compliance.view_{m}" for m in _EDITED + _CHANGED + _READ
} | _FOLLOW_UPS


CUSTOMS_TABLES = ("deminimisrule", "dutyrate", "taxrate", "exchangerate", "freightrate")
# Outbound parcels, customs and returns (accounts/migrations/0012_roles_outbound.py).
OUTBOUND_OPERATORS = {
    *(f"customs.{a}_{m}" for m in CUSTOMS_TABLES for a in ("view", "add", "change")),
    *(
        f"shipping.{a}_{m}"
        for m in ("airfreightbatch", "lastmilepartner")
        for a in ("view", "add", "change")
    ),
    "shipping.view_parcel",
    "shipping.change_parcel",
    "shipping.view_parcelitem",
    "shipping.view_trackingevent",
    "shipping.view_customsdecision",
    "returns.view_returnreason",
    "returns.add_returnreason",
    "returns.change_returnreason",
    "returns.view_returnrequest",
    "returns.change_returnrequest",
    "returns.view_returnline",
    "returns.change_returnline",
    "returns.view_refund",
    "returns.add_refund",
    "returns.view_chargeback",
    "returns.change_chargeback",
    "returns.view_returnratebreach",
    "returns.change_returnratebreach",
    "catalogue.view_listingreturnrate",
}
OUTBOUND_FINANCE = {
    "shipping.view_parcel",
    "shipping.view_customsdecision",
    "returns.view_returnrequest",
    "returns.view_refund",
    "returns.view_chargeback",
    "returns.change_chargeback",
    "returns.view_returnratebreach",
    "returns.change_returnratebreach",
    *(f"customs.view_{m}" for m in CUSTOMS_TABLES),
}
OUTBOUND_COMPLIANCE = {
    "shipping.view_parcel",
    "returns.view_returnrequest",
    "returns.view_returnline",
    "returns.view_returnratebreach",
    "catalogue.view_listingreturnrate",
}

# Demand-driven restock and scorecards (accounts/migrations/0013_roles_restock_scorecards.py).
RESTOCK_OPERATORS = {
    "suppliers.view_scorecard",
    "restock.view_demandsignal",
    "restock.view_forecast",
    "restock.view_restockproposal",
    "restock.change_restockproposal",
    "restock.view_planchunk",
}
RESTOCK_FINANCE = {"suppliers.view_scorecard", "restock.view_restockproposal"}
RESTOCK_COMPLIANCE = {"suppliers.view_scorecard"}


def test_roles_have_exactly_their_permissions():
    def perms(role: str) -> set[str]:
        return {
            f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=role).permissions.select_related("content_type")
        }

    reads = {"suppliers.view_supplier", "suppliers.view_membership", "marketplace.view_jobrun"}
    assert perms(COMPLIANCE) == reads | {
        "suppliers.view_factory",
        "marketplace.view_event",
        "catalogue.view_category",
        "catalogue.view_product",
        "catalogue.view_productimage",
        "catalogue.view_listing",
        "catalogue.approve_compliance",
        "compliance.view_testrecord",
        "compliance.add_testrecord",
        "compliance.change_testrecord",
        *COMPLIANCE_MODELS_OFFICERS,
        "orders.view_jitorder",
        "orders.view_penalty",
        "logistics.view_inboundshipment",
        "logistics.view_inboundline",
        "logistics.view_inspection",
        "logistics.change_inspection",
        "logistics.view_samplingstate",
        "logistics.change_samplingstate",
        "logistics.view_stockposition",
        *OUTBOUND_COMPLIANCE,
        *RESTOCK_COMPLIANCE,
    }
    assert perms(FINANCE) == reads | OUTBOUND_FINANCE | RESTOCK_FINANCE | {
        "catalogue.view_listing",
        "catalogue.view_priceround",
        "suppliers.view_factory",
        "marketplace.view_event",
        "suppliers.view_ledgerentry",
        "suppliers.add_ledgerentry",
        "suppliers.view_withdrawalrequest",
        "suppliers.change_withdrawalrequest",
        "orders.view_penalty",
        "orders.view_appeal",
        "orders.view_payable",
        "orders.view_consumerorder",
        "logistics.view_stockposition",
        "logistics.view_overstockoffer",
    }
    assert perms(OPERATORS) == (
        reads | COMPLIANCE_MODELS_OPERATORS | OUTBOUND_OPERATORS | RESTOCK_OPERATORS
    ) | {
        "compliance.view_testrecord",
        "suppliers.add_supplier",
        "suppliers.change_supplier",
        "suppliers.add_membership",
        "suppliers.change_membership",
        "suppliers.delete_membership",
        "suppliers.view_factory",
        "suppliers.change_factory",
        "suppliers.view_invitation",
        "suppliers.view_ledgerentry",
        "suppliers.view_withdrawalrequest",
        "accounts.view_user",
        "accounts.view_apiclient",
        "accounts.add_apiclient",
        "accounts.change_apiclient",
        "accounts.view_apikey",
        "accounts.add_apikey",
        "accounts.change_apikey",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.view_intervalschedule",
        "django_celery_beat.add_intervalschedule",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.add_crontabschedule",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "marketplace.view_event",
        "marketplace.view_webhookendpoint",
        "marketplace.add_webhookendpoint",
        "marketplace.change_webhookendpoint",
        "marketplace.delete_webhookendpoint",
        "marketplace.view_webhookdelivery",
        "marketplace.change_webhookdelivery",
        "marketplace.view_webhookattempt",
        "catalogue.view_category",
        "catalogue.add_category",
        "catalogue.change_category",
        "catalogue.view_product",
        "catalogue.add_product",
        "catalogue.change_product",
        "catalogue.view_productimage",
        "catalogue.view_listing",
        "catalogue.change_listing",
        "catalogue.view_listingprice",
        "catalogue.add_listingprice",
        "catalogue.change_listingprice",
        "catalogue.view_overseasstock",
        "catalogue.view_priceround",
        "catalogue.change_priceround",
        "catalogue.view_tender",
        "catalogue.add_tender",
        "catalogue.change_tender",
        "catalogue.view_bid",
        "orders.view_jitorder",
        "orders.change_jitorder",
        "orders.view_penalty",
        "orders.change_penalty",
        "orders.view_appeal",
        "orders.change_appeal",
        "orders.view_appealattachment",
        "orders.view_inspectionphoto",
        "orders.add_inspectionphoto",
        "orders.view_consumerorder",
        "orders.change_consumerorder",
        "orders.view_payable",
        "orders.change_payable",
        # Every permission on the logistics records but the stock ledger's, which is read-only
        # (append-only, written by the stock services alone).
        *(
            f"logistics.{action}_{model}"
            for model in (
                "warehouse",
                "pickupcluster",
                "pickupslot",
                "stockingorder",
                "inboundshipment",
                "inboundline",
                "inspection",
                "samplingstate",
                "stockposition",
                "stocklot",
                "overstockoffer",
            )
            for action in ("view", "add", "change", "delete")
        ),
        "logistics.view_stockmovement",
    }


def test_admin_login_page_is_branded(client):
    page = client.get("/admin/login/")
    assert "Marketplace back-office" in page.content.decode()


def test_operator_signs_in_to_the_admin_with_a_password(client, operator):
    response = client.post("/admin/login/?next=/admin/", {"username": "op", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
