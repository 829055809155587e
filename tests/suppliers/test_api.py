"""The suppliers API: scoping (a supplier user never reads another supplier's data), scopes
(403 naming the scope), the error body, cursor pages and constant query counts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from marketplace.models import Event
from suppliers.models import LedgerEntry
from suppliers.services.ledger import ledger_penalty, ledger_top_up
from tests.api_support import assert_error, bearer, walk
from tests.factories.accounts import api_client, supplier_token
from tests.factories.suppliers import (
    FactoryFactory,
    MembershipFactory,
    SupplierFactory,
    funded_supplier,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrator():
    _client, plain = api_client(scopes=["read"])
    return bearer(plain)


@pytest.fixture
def finance_integrator():
    _client, plain = api_client(scopes=["read", "finance:write"], name="Bank bridge")
    return bearer(plain)


@pytest.fixture
def supplier_api(supplier_user):
    return bearer(supplier_token(supplier_user))


@pytest.fixture
def own(supplier_user):
    supplier = supplier_user.supplier_membership.supplier
    FactoryFactory(supplier=supplier, province="Guangdong")
    ledger_top_up(supplier, amount="7000.00", bank_reference="OWN-1", actor=None)
    return supplier


@pytest.fixture
def rival(other_supplier_user):
    supplier = other_supplier_user.supplier_membership.supplier
    FactoryFactory(supplier=supplier, province="Zhejiang")
    ledger_top_up(supplier, amount="9000.00", bank_reference="RIVAL-1", actor=None)
    return supplier


def session(user) -> APIClient:
    caller = APIClient()
    caller.force_login(user)
    return caller


# --- Suppliers --------------------------------------------------------------------------------


def test_filters_by_status_and_name(integrator):
    SupplierFactory(name_en="Shenzhen Toys", status="active")
    SupplierFactory(name_en="Yiwu Toys", name_zh="义乌玩具", status="suspended")
    SupplierFactory(name_en="Ningbo Plastics", status="active")

    def names(**query: str) -> list[str]:
        rows = integrator.get("/api/v1/suppliers/", query).json()["results"]
        return sorted(row["name_en"] for row in rows)

    assert names(status="active") == ["Ningbo Plastics", "Shenzhen Toys"]
    assert names(name="toys") == ["Shenzhen Toys", "Yiwu Toys"]
    assert names(name="义乌") == ["Yiwu Toys"]


def test_filters_by_province_and_jit_status_without_duplicates(integrator):
    twice = SupplierFactory(name_en="Twice", jit_status="enrolled")
    FactoryFactory.create_batch(2, supplier=twice, province="Fujian")
    other = SupplierFactory(name_en="Other")
    FactoryFactory(supplier=other, province="Hunan")

    def names(**query: str) -> list[str]:
        return [r["name_en"] for r in integrator.get("/api/v1/suppliers/", query).json()["results"]]

    assert names(province="Fujian") == ["Twice"]
    assert names(jit_status="enrolled") == ["Twice"]
    assert names(jit_status="paused") == []
    body = assert_error(
        integrator.get("/api/v1/suppliers/", {"province": "Atlantis"}), 400, "invalid"
    )
    assert list(body["fields"]) == ["province"]


def test_the_detail_has_factories_and_jit_status_but_no_balance_for_integrators(integrator, own):
    body = integrator.get(f"/api/v1/suppliers/{own.pk}/").json()
    assert body["jit_status"] == "not_enrolled"
    assert [f["province"] for f in body["factories"]] == ["Guangdong"]
    assert body["balance"] is None


@pytest.mark.parametrize(
    ("role", "balance"), [("operator", "7000.00"), ("compliance_officer", None)]
)
def test_staff_see_balances_only_with_the_ledger_permission(request, own, role, balance):
    caller = session(request.getfixturevalue(role))
    assert caller.get(f"/api/v1/suppliers/{own.pk}/").json()["balance"] == balance
    [row] = caller.get("/api/v1/suppliers/").json()["results"]
    assert row["balance"] == balance


def test_a_supplier_user_sees_only_its_own_supplier(supplier_api, own, rival):
    assert [row["id"] for row in walk(supplier_api, "/api/v1/suppliers/")] == [own.pk]
    assert supplier_api.get(f"/api/v1/suppliers/{own.pk}/").status_code == 200
    assert_error(supplier_api.get(f"/api/v1/suppliers/{rival.pk}/"), 404, "not_found")


def test_cursor_pages_walk_every_row_once(integrator):
    SupplierFactory.create_batch(7)
    rows = walk(integrator, "/api/v1/suppliers/?page_size=3")
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == 7


def test_list_queries_do_not_grow_with_rows(integrator, django_assert_max_num_queries):
    funded_supplier("10.00")
    with django_assert_max_num_queries(10) as few:
        integrator.get("/api/v1/suppliers/")
    for _ in range(30):
        FactoryFactory.create_batch(2, supplier=funded_supplier("20.00"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(integrator.get("/api/v1/suppliers/").json()["results"]) == 31


def test_staff_list_with_balances_queries_do_not_grow(operator, django_assert_max_num_queries):
    caller = session(operator)
    funded_supplier("10.00")
    with django_assert_max_num_queries(12) as few:
        caller.get("/api/v1/suppliers/")
    for _ in range(20):
        funded_supplier("20.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = caller.get("/api/v1/suppliers/").json()["results"]
    assert {row["balance"] for row in rows} == {"10.00", "20.00"}


def test_the_suppliers_api_only_reads(integrator):
    supplier = SupplierFactory()
    for call in (integrator.post, integrator.put, integrator.patch, integrator.delete):
        response = call(f"/api/v1/suppliers/{supplier.pk}/", {})
        assert response.status_code in {403, 405}
        assert set(response.json()) == {"code", "message", "fields"}


# --- Me ---------------------------------------------------------------------------------------


def test_me_is_the_supplier_users_own_profile(supplier_api, supplier_user, own, rival):
    body = supplier_api.get("/api/v1/me/").json()
    assert body["username"] == "sup"
    assert body["role"] == "owner"
    mine = body["supplier"]
    assert mine["id"] == own.pk
    assert mine["balance"] == "7000.00"
    assert mine["jit_status"] == "not_enrolled"
    assert "jit_status_reason" in mine
    assert [f["province"] for f in mine["factories"]] == ["Guangdong"]


def test_me_shows_a_staff_members_role_and_the_jit_pause_reason(own):
    colleague = MembershipFactory(supplier=own, user__username="colleague").user
    ledger_penalty(own, amount="1.00", actor=None, reference=None, memo="x")
    type(own).objects.filter(pk=own.pk).update(jit_status="paused", jit_status_reason="Low")
    body = bearer(supplier_token(colleague)).get("/api/v1/me/").json()
    assert body["role"] == "staff"
    assert body["supplier"]["balance"] == "6999.00"
    assert (body["supplier"]["jit_status"], body["supplier"]["jit_status_reason"]) == (
        "paused",
        "Low",
    )


@pytest.mark.parametrize("who", ["integrator", "finance_integrator", "operator"])
def test_me_is_403_for_anyone_but_a_supplier_user(request, who):
    caller = request.getfixturevalue(who)
    caller = caller if isinstance(caller, APIClient) else session(caller)
    body = assert_error(caller.get("/api/v1/me/"), 403, "permission_denied")
    assert "`supplier`" in body["message"]


def test_me_needs_credentials(api):
    assert_error(api.get("/api/v1/me/"), 401, "not_authenticated")


# --- Ledger entries ---------------------------------------------------------------------------


def test_a_supplier_user_reads_only_its_own_ledger(supplier_api, own, rival):
    rows = walk(supplier_api, "/api/v1/ledger-entries/")
    assert [(r["supplier"], r["amount"], r["kind"]) for r in rows] == [
        (own.pk, "7000.00", "top_up")
    ]
    # Naming another supplier finds nothing rather than its entries.
    response = supplier_api.get("/api/v1/ledger-entries/", {"supplier": rival.pk})
    assert response.json()["results"] == []


def test_finance_integrators_and_staff_read_every_ledger(finance_integrator, operator, own, rival):
    for caller in (finance_integrator, session(operator)):
        rows = walk(caller, "/api/v1/ledger-entries/")
        assert {r["supplier"] for r in rows} == {own.pk, rival.pk}
        only = caller.get("/api/v1/ledger-entries/", {"supplier": rival.pk}).json()["results"]
        assert [r["bank_reference"] for r in only] == ["RIVAL-1"]


def test_an_integrator_without_finance_write_gets_403_naming_the_scope(integrator, own):
    body = assert_error(integrator.get("/api/v1/ledger-entries/"), 403, "permission_denied")
    assert "`finance:write`" in body["message"]


def test_staff_without_the_ledger_permission_read_no_entries(compliance_officer, own):
    assert session(compliance_officer).get("/api/v1/ledger-entries/").json()["results"] == []


def test_ledger_filters_by_kind_and_dates(supplier_api, own):
    penalty = ledger_penalty(own, amount="200.00", actor=None, reference=None, memo="Late")

    def kinds(**query: str) -> list[str]:
        return [
            r["kind"] for r in supplier_api.get("/api/v1/ledger-entries/", query).json()["results"]
        ]

    assert kinds() == ["penalty", "top_up"]
    assert kinds(kind="penalty") == ["penalty"]
    cut = penalty.posted_at.isoformat()
    assert kinds(posted_after=cut) == ["penalty"]
    assert kinds(posted_before=cut) == ["top_up"]
    assert kinds(posted_after="2000-01-01T00:00:00Z", posted_before="2000-01-02") == []


@pytest.mark.parametrize("field", ["posted_after", "posted_before", "kind"])
def test_an_invalid_ledger_filter_is_400_naming_the_field(supplier_api, field):
    body = assert_error(
        supplier_api.get("/api/v1/ledger-entries/", {field: "yesterday-ish"}), 400, "invalid"
    )
    assert list(body["fields"]) == [field]


def test_ledger_cursor_pages_walk_every_entry_once(finance_integrator):
    supplier = SupplierFactory()
    for n in range(7):
        ledger_top_up(supplier, amount="1.00", bank_reference=f"P{n}", actor=None)
    rows = walk(finance_integrator, "/api/v1/ledger-entries/?page_size=3")
    assert sorted(r["bank_reference"] for r in rows) == [f"P{n}" for n in range(7)]


def test_ledger_queries_do_not_grow_with_rows(
    supplier_api, finance_integrator, own, django_assert_max_num_queries
):
    for caller in (supplier_api, finance_integrator):
        with django_assert_max_num_queries(10) as few:
            caller.get("/api/v1/ledger-entries/")
        for n in range(15):
            ledger_penalty(own, amount="1.00", actor=None, reference=own, memo=f"p{n}")
        with django_assert_max_num_queries(len(few.captured_queries)):
            rows = caller.get("/api/v1/ledger-entries/").json()["results"]
        assert rows[0]["reference"] == {"type": "supplier", "id": str(own.pk)}


# --- Top-ups ----------------------------------------------------------------------------------


def top_up(caller, **body):
    return caller.post(
        "/api/v1/top-ups/",
        {"supplier": body.pop("supplier"), "amount": "5000.00", "bank_reference": "B1"} | body,
        format="json",
    )


def test_a_finance_integrator_records_a_top_up(finance_integrator, own):
    response = top_up(finance_integrator, supplier=own.pk, amount="1500.50", bank_reference="ABC")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["amount"], body["bank_reference"]) == ("top_up", "1500.50", "ABC")
    entry = LedgerEntry.objects.get(pk=body["id"])
    assert entry.posted_by.api_client.name == "Bank bridge"
    assert Event.objects.filter(kind="ledger.posted", supplier=own, actor=entry.posted_by).exists()


def test_a_bank_reference_is_credited_once(finance_integrator, own):
    assert top_up(finance_integrator, supplier=own.pk, bank_reference="DUP").status_code == 201
    body = assert_error(
        top_up(finance_integrator, supplier=own.pk, bank_reference="DUP"), 409, "duplicate_top_up"
    )
    assert list(body["fields"]) == ["bank_reference"]
    assert LedgerEntry.objects.filter(supplier=own, bank_reference="DUP").count() == 1


def test_a_finance_staff_session_records_a_top_up(finance_user, own):
    assert top_up(session(finance_user), supplier=own.pk).status_code == 201


@pytest.mark.parametrize(
    ("amount", "status"), [("abc", 400), ("1.001", 400), ("-5.00", 422), ("0", 422)]
)
def test_a_bad_amount_names_the_field(finance_integrator, own, amount, status):
    response = top_up(finance_integrator, supplier=own.pk, amount=amount)
    assert response.status_code == status
    assert list(response.json()["fields"]) == ["amount"]
    assert LedgerEntry.objects.filter(supplier=own).count() == 1


def test_an_unknown_supplier_names_the_field(finance_integrator):
    body = assert_error(top_up(finance_integrator, supplier=999999), 400, "invalid")
    assert list(body["fields"]) == ["supplier"]


def test_a_missing_bank_reference_names_the_field(finance_integrator, own):
    body = assert_error(
        top_up(finance_integrator, supplier=own.pk, bank_reference=""), 400, "invalid"
    )
    assert list(body["fields"]) == ["bank_reference"]


@pytest.mark.parametrize("who", ["integrator", "supplier_api", "operator"])
def test_top_ups_need_finance_write(request, own, who):
    caller = request.getfixturevalue(who)
    caller = caller if isinstance(caller, APIClient) else session(caller)
    body = assert_error(top_up(caller, supplier=own.pk), 403, "permission_denied")
    assert "`finance:write`" in body["message"]
    assert LedgerEntry.objects.filter(supplier=own).count() == 1


# --- JIT enrolment ----------------------------------------------------------------------------


def test_jit_enrolment_shows_each_condition(supplier_api, own):
    body = supplier_api.get("/api/v1/me/jit-enrolment/").json()
    assert body["status"] == "not_enrolled"
    assert [(c["code"], c["met"]) for c in body["conditions"]] == [
        ("active", True),
        ("pilot_province", True),
        ("deposit", True),
    ]
    assert all(c["message"] for c in body["conditions"])


def test_the_owner_enrols_in_jit(supplier_api, supplier_user, own):
    response = supplier_api.post("/api/v1/me/jit-enrolment/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "enrolled"
    own.refresh_from_db()
    assert own.jit_status == "enrolled"
    assert Event.objects.get(kind="supplier.jit_enrolled").actor == supplier_user
    # Again: already enrolled, nothing more happens.
    assert supplier_api.post("/api/v1/me/jit-enrolment/").status_code == 200
    assert Event.objects.filter(kind="supplier.jit_enrolled").count() == 1


def test_not_eligible_is_422_naming_each_failing_condition(supplier_user):
    supplier = supplier_user.supplier_membership.supplier
    FactoryFactory(supplier=supplier, province="Zhejiang")
    ledger_top_up(supplier, amount="4999.99", bank_reference="LOW", actor=None)
    body = assert_error(
        bearer(supplier_token(supplier_user)).post("/api/v1/me/jit-enrolment/"),
        422,
        "jit_not_eligible",
    )
    assert set(body["fields"]) == {"pilot_province", "deposit"}
    supplier.refresh_from_db()
    assert supplier.jit_status == "not_enrolled"


def test_a_staff_member_of_the_supplier_cannot_enrol(own):
    colleague = MembershipFactory(supplier=own).user
    caller = bearer(supplier_token(colleague))
    assert caller.get("/api/v1/me/jit-enrolment/").status_code == 200
    assert_error(caller.post("/api/v1/me/jit-enrolment/"), 403, "owner_only")
    own.refresh_from_db()
    assert own.jit_status == "not_enrolled"


@pytest.mark.parametrize("who", ["finance_integrator", "operator"])
def test_jit_enrolment_is_for_supplier_users(request, who):
    caller = request.getfixturevalue(who)
    caller = caller if isinstance(caller, APIClient) else session(caller)
    for call in (caller.get, caller.post):
        body = assert_error(call("/api/v1/me/jit-enrolment/"), 403, "permission_denied")
        assert "`supplier`" in body["message"]


def test_the_schema_documents_the_error_body_and_the_webhook(api):
    from django.core.management import call_command

    call_command("spectacular", validate=True, fail_on_warn=True, file="/dev/null")
    schema = api.get("/api/schema/?format=json").json()
    assert schema["openapi"] == "3.1.0"
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "code",
        "message",
        "fields",
    }
    top_ups = schema["paths"]["/api/v1/top-ups/"]["post"]["responses"]
    assert top_ups["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    webhook = schema["webhooks"]["event"]["post"]
    assert "webhook-signature" in webhook["description"]
    assert "order.penalty_assessed" in webhook["description"]
    body = webhook["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/EventBody")
