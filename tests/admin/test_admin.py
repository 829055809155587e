from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from accounts.models import ApiClient, ApiKey
from marketplace.events import record_event
from marketplace.models import JobRun, WebhookDelivery, WebhookEndpoint
from suppliers.services.ledger import ledger_top_up, withdrawal_request
from tests.factories.accounts import UserFactory, api_client
from tests.factories.suppliers import MembershipFactory, SupplierFactory, funded_supplier

pytestmark = pytest.mark.django_db

KEY = re.compile(r'data-testid="new-key"[^>]*>(mk_[0-9a-f]{12}_[^<]+)<')


def shown_keys(response) -> list[str]:
    assert response.status_code == 200
    assert "no-cache" in response.get("Cache-Control", "")
    page = response.content.decode()
    # Only on this page: never in a message, which would sit in a cookie or the session.
    assert not list(get_messages(response.wsgi_request))
    return KEY.findall(page)


def test_operator_registers_a_client_and_sees_its_key_once(client, operator, api):
    client.force_login(operator)
    response = client.post(
        "/admin/accounts/apiclient/add/",
        {
            "name": "SF Express",
            "kind": "carrier",
            "scopes": ["read", "tracking:write"],
            "is_active": "on",
            "contact_email": "",
        },
    )
    [plain] = shown_keys(response)
    created = ApiClient.objects.get(name="SF Express")
    assert created.scopes == ["read", "tracking:write"]
    assert created.user.username == "api-sf-express"
    assert ApiKey.objects.get(user=created.user).key_hash == ApiKey.hash(plain)
    body = api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain}").json()
    assert body["client"] == "SF Express"
    change = client.get(f"/admin/accounts/apiclient/{created.pk}/change/").content.decode()
    keys = client.get("/admin/accounts/apikey/").content.decode()
    assert plain not in change
    assert plain not in keys


def test_operator_issues_a_key_to_a_supplier_user_but_not_to_staff(client, operator, api):
    member = MembershipFactory().user
    client.force_login(operator)
    response = client.post("/admin/accounts/apikey/add/", {"user": member.pk, "name": "ERP"})
    [plain] = shown_keys(response)
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200
    staff = UserFactory(is_staff=True)
    refused = client.post("/admin/accounts/apikey/add/", {"user": staff.pk, "name": "x"})
    assert refused.status_code == 200
    assert "Keys are issued to an API client" in refused.content.decode()
    assert not ApiKey.objects.filter(user=staff).exists()


def test_revoke_action_stops_the_key_at_once(client, operator, api):
    created, plain = api_client()
    key = ApiKey.objects.get(user=created.user)
    client.force_login(operator)
    response = client.post(
        "/admin/accounts/apikey/", {"action": "revoke", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_by == operator
    assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 401


def test_issue_key_action_adds_a_working_key(client, operator, api):
    created, first = api_client()
    client.force_login(operator)
    response = client.post(
        "/admin/accounts/apiclient/", {"action": "issue_key", "_selected_action": [created.pk]}
    )
    [second] = shown_keys(response)
    assert second != first
    for plain in (first, second):
        assert api.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain}").status_code == 200


def test_compliance_cannot_manage_api_clients(client, compliance_officer):
    client.force_login(compliance_officer)
    assert client.get("/admin/accounts/apiclient/add/").status_code == 403


def test_dashboard_shows_live_figures(client, operator):
    SupplierFactory.create_batch(3, status="active")
    SupplierFactory(status="suspended")
    api_client()
    JobRun.objects.create(name="sweep", total=200, done=50)
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert 'data-testid="operator-dashboard"' in page
    figures = re.sub(r"\s+", " ", page)
    assert '<dt>Active</dt><dd><span class="bar" style="width: 100%"></span><b>3</b>' in figures
    assert '<dt>Suspended</dt><dd><span class="bar" style="width: 33%"></span><b>1</b>' in figures
    assert "<b>1</b> active client" in figures
    assert "Operators</dt>" in figures
    assert "25%" in figures  # the running sweep's progress


def test_dashboard_queries_do_not_grow_with_data(client, operator, django_assert_max_num_queries):
    client.force_login(operator)
    # 30, three for the compliance card (backoffice.compliance_kpis.compliance_headline) and
    # three for the parcels' (backoffice.delivery: the late queue's count and oldest, the
    # delivery times), five for restock and standings (backoffice.dashboard.restock_figures).
    with django_assert_max_num_queries(41) as few:
        client.get("/admin/")
    SupplierFactory.create_batch(20)
    for n in range(5):
        api_client(name=f"client {n}")
        JobRun.objects.create(name=f"job {n}")
        funded_supplier("6000.00", jit_status="enrolled")
    WebhookEndpoint.objects.create(
        client=ApiClient.objects.first(), url="https://x.test/h", secret="s"
    )
    ledger_top_up(SupplierFactory(), amount="1.00", bank_reference="more", actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/").status_code == 200


def figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert match, name
    return match.group(1)


def test_dashboard_shows_the_supplier_work_and_money(client, operator):
    SupplierFactory.create_batch(2, status="applied")
    SupplierFactory(status="applied", changes_requested=True)  # waits for the applicant
    funded_supplier("6000.00", jit_status="enrolled")
    funded_supplier("4000.50", jit_status="paused")
    owner = MembershipFactory(supplier=funded_supplier("1000.00"), role="owner")
    withdrawal_request(owner.supplier, amount="100.00", bank_account="6222", actor=owner.user)
    client_, _key = api_client()
    endpoint = WebhookEndpoint.objects.create(client=client_, url="https://x.test/h", secret="s")
    record_event("supplier.applied", actor=None)  # one pending delivery
    WebhookDelivery.objects.filter(endpoint=endpoint).update(status="failed")
    record_event("supplier.applied", actor=None)
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert figure(page, "awaiting-review") == "2"
    assert figure(page, "jit-enrolled") == "1"
    assert figure(page, "jit-paused") == "1"
    assert figure(page, "deposits-held") == "11,000.50 CNY"
    assert figure(page, "withdrawals-pending") == "1"
    assert figure(page, "webhooks-failed") == "1"
    assert figure(page, "webhooks-pending") == "1"
    assert "?status__exact=applied&amp;changes_requested__exact=0" in page


@pytest.mark.parametrize(
    "url",
    [
        "/admin/suppliers/supplier/",
        "/admin/accounts/apikey/",
        "/admin/accounts/user/",
        "/admin/marketplace/jobrun/",
        "/admin/suppliers/membership/",
    ],
)
def test_admin_lists_keep_a_constant_number_of_queries(
    client, operator, django_assert_max_num_queries, url
):
    from django.contrib.auth.models import Group

    client.force_login(operator)
    # One row of each first: a list of none skips the queries that fetch related rows.
    MembershipFactory()
    api_client(name="c-first")
    JobRun.objects.create(name="job first", total=10, done=1)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(10):
        member = MembershipFactory()
        member.user.groups.add(Group.objects.get(name="finance"))
        api_client(name=f"c{n}")
        JobRun.objects.create(name=f"job {n}", total=10, done=n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_job_run_admin_shows_progress(client, operator):
    JobRun.objects.create(name="restock", total=1000, done=400)
    client.force_login(operator)
    page = client.get("/admin/marketplace/jobrun/").content.decode()
    assert '<progress max="100" value="40"></progress> 40% (400 / 1,000)' in page


def test_job_run_filter_names_jobs_in_words(client, operator):
    JobRun.objects.create(name="restock_plan", total=1, done=1)
    JobRun.objects.create(name="seed_demo", total=1, done=1)
    client.force_login(operator)
    page = client.get("/admin/marketplace/jobrun/").content.decode()
    assert ">Restock planning</a>" in page
    assert ">restock_plan</a>" not in page
    only = client.get("/admin/marketplace/jobrun/", {"name": "seed_demo"}).content.decode()
    assert "Demo data loaded" in only
    assert only.count('class="field-job"') == 1


def test_a_service_add_admin_must_say_which_service_makes_its_objects():
    from marketplace.admin_base import ServiceAddAdmin

    with pytest.raises(TypeError, match="service_add"):
        type("NoServiceAdmin", (ServiceAddAdmin,), {"__module__": __name__})


def test_dashboard_shows_restock_and_standings(client, operator):
    from catalogue.models import Listing
    from restock.models import RestockProposal
    from tests.factories.restock import RestockProposalFactory, ScorecardFactory

    RestockProposalFactory(urgent=True)
    RestockProposalFactory()
    RestockProposalFactory(status=RestockProposal.Status.DECLINED)
    dead = RestockProposalFactory(status=RestockProposal.Status.WITHDRAWN).listing
    Listing.objects.filter(pk=dead.pk).update(dead_stock_since="2026-11-01")
    ScorecardFactory(standing="poor", score="55.00")
    ScorecardFactory(standing="excellent", score="95.00")
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert figure(page, "proposals-open") == "2"
    assert figure(page, "proposals-urgent") == "1"
    assert figure(page, "dead-stock") == "1"
    assert figure(page, "planning-run") == "none yet"
    figures = re.sub(r"\s+", " ", page)
    assert '<dt>Poor</dt><dd><span class="bar" style="width: 100%"></span><b>1</b>' in figures
    assert '<dt>Very poor</dt><dd><span class="bar" style="width: 0%"></span><b>0</b>' in figures
    listings = client.get("/admin/catalogue/listing/?dead_stock=yes").content.decode()
    assert listings.count('class="action-checkbox"') == 1
