"""GET /api/v1/audits/ and /api/v1/corrective-actions/: a supplier reads its own, staff who may
view them all, integrators 403; another supplier's ids are 404; constant query counts."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api_support import bearer
from tests.factories.accounts import api_client, supplier_token
from tests.factories.suppliers import MembershipFactory

from .audits_support import AuditFactory, CorrectiveActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine():
    action = CorrectiveActionFactory(finding__severity="critical", finding__area="Mine area")
    return action


@pytest.fixture
def theirs():
    return CorrectiveActionFactory(finding__area="Rival secret area")


@pytest.fixture
def supplier_api(mine) -> APIClient:
    user = MembershipFactory(supplier=mine.supplier, role="staff").user
    return bearer(supplier_token(user))


@pytest.fixture
def officer_api(compliance_officer) -> APIClient:
    caller = APIClient()
    caller.force_login(compliance_officer)
    return caller


def test_a_supplier_lists_only_its_own(supplier_api, mine, theirs):
    audits = supplier_api.get("/api/v1/audits/").json()["results"]
    assert [a["id"] for a in audits] == [mine.finding.audit_id]
    finding = audits[0]["findings"][0]
    assert finding["severity"] == "critical"
    assert finding["action"] == {
        "id": mine.pk,
        "status": "open",
        "due_on": mine.due_on.isoformat(),
    }
    actions = supplier_api.get("/api/v1/corrective-actions/").json()["results"]
    assert [a["id"] for a in actions] == [mine.pk]
    assert actions[0]["area"] == "Mine area"
    assert "Rival secret area" not in str(actions)


def test_another_supplier_s_ids_are_404(supplier_api, theirs):
    assert supplier_api.get(f"/api/v1/audits/{theirs.finding.audit_id}/").status_code == 404
    assert supplier_api.get(f"/api/v1/corrective-actions/{theirs.pk}/").status_code == 404
    listed = supplier_api.get("/api/v1/corrective-actions/", {"supplier": theirs.supplier_id})
    assert listed.json()["results"] == []


def test_staff_read_all_and_filter(officer_api, mine, theirs):
    actions = officer_api.get("/api/v1/corrective-actions/").json()["results"]
    assert {a["id"] for a in actions} == {mine.pk, theirs.pk}
    critical = officer_api.get("/api/v1/corrective-actions/", {"severity": "critical"}).json()
    assert [a["id"] for a in critical["results"]] == [mine.pk]
    audits = officer_api.get("/api/v1/audits/", {"supplier": theirs.supplier_id}).json()
    assert [a["id"] for a in audits["results"]] == [theirs.finding.audit_id]
    assert officer_api.get(f"/api/v1/corrective-actions/{theirs.pk}/").status_code == 200


def test_integrators_are_refused(mine):
    _client, plain = api_client(scopes=["read"], name="Reporting")
    reader = bearer(plain)
    assert reader.get("/api/v1/audits/").status_code == 403
    assert reader.get("/api/v1/corrective-actions/").status_code == 403


def test_staff_without_the_permission_see_nothing(mine):
    from tests.factories.accounts import UserFactory

    caller = APIClient()
    caller.force_login(UserFactory(is_staff=True))
    assert caller.get("/api/v1/corrective-actions/").json()["results"] == []


def test_anonymous_callers_are_refused():
    assert APIClient().get("/api/v1/audits/").status_code in (401, 403)


def test_the_lists_cost_the_same_queries_for_more_rows(
    supplier_api, mine, django_assert_max_num_queries
):
    supplier_api.get("/api/v1/audits/")
    with django_assert_max_num_queries(10) as few:
        supplier_api.get("/api/v1/audits/")
        supplier_api.get("/api/v1/corrective-actions/")
    for _ in range(4):
        audit = AuditFactory(supplier=mine.supplier)
        for severity in ("critical", "major"):
            CorrectiveActionFactory(finding__audit=audit, finding__severity=severity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        audits = supplier_api.get("/api/v1/audits/")
        actions = supplier_api.get("/api/v1/corrective-actions/")
    assert len(audits.json()["results"]) == 5
    assert len(actions.json()["results"]) == 9
