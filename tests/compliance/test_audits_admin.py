"""The audit and corrective-action screens: an officer records an audit with findings through
the service (its refusal on the finding's field), closes with a review and reopens with a note;
operators only read; evidence is served; lists keep their query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Listing, ListingActionPause
from compliance.models import Audit, CorrectiveAction, Finding
from compliance.services.audits import action_submit
from tests.factories.catalogue import CategoryFactory, ListingFactory
from tests.factories.suppliers import FactoryFactory, SupplierFactory

from .audits_support import AuditFactory, CorrectiveActionFactory, answered, critical_action, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _add_data(supplier, factory, **overrides):
    audited = timezone.localdate() - timedelta(days=2)
    data = {
        "supplier": supplier.pk,
        "factory": factory.pk,
        "auditor": "SGS, Wang Fang",
        "audited_on": audited.isoformat(),
        "score": "81",
        "finding_1_severity": "critical",
        "finding_1_category": CategoryFactory(code="toys").pk,
        "finding_1_area": "chemical control",
        "finding_1_description": "No lead test of paint.",
        "finding_1_due_on": (audited + timedelta(days=14)).isoformat(),
        "finding_2_severity": "minor",
        "finding_2_area": "housekeeping",
        "finding_2_description": "Aisles blocked.",
        "finding_2_due_on": (audited + timedelta(days=30)).isoformat(),
    }
    data.update(overrides)
    return data


def test_an_officer_records_an_audit_with_findings(client, compliance_officer):
    supplier = SupplierFactory()
    factory = FactoryFactory(supplier=supplier)
    client.force_login(compliance_officer)
    url = reverse("admin:compliance_audit_add")
    assert client.get(url).status_code == 200
    response = client.post(url, {**_add_data(supplier, factory), "report_file": pdf("a.pdf")})
    assert response.status_code == 302, response.content.decode()[:3000]
    audit = Audit.objects.get()
    assert audit.recorded_by == compliance_officer
    assert list(audit.findings.values_list("severity", flat=True).order_by("id")) == [
        "critical",
        "minor",
    ]
    assert CorrectiveAction.objects.filter(supplier=supplier).count() == 2
    page = client.get(reverse("admin:compliance_audit_change", args=[audit.pk]))
    assert page.status_code == 200
    assert "No lead test of paint." in page.content.decode()
    report = client.get(reverse("admin:compliance_audit_report", args=[audit.pk]))
    assert report.status_code == 200


def test_a_due_date_before_the_audit_is_refused_on_its_field(client, compliance_officer):
    supplier = SupplierFactory()
    factory = FactoryFactory(supplier=supplier)
    client.force_login(compliance_officer)
    before = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = client.post(
        reverse("admin:compliance_audit_add"),
        _add_data(supplier, factory, finding_2_due_on=before),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "finding_2_due_on" in errors
    assert not Audit.objects.exists()
    assert not Finding.objects.exists()


def test_another_supplier_s_factory_is_refused_on_its_field(client, compliance_officer):
    client.force_login(compliance_officer)
    response = client.post(
        reverse("admin:compliance_audit_add"),
        _add_data(SupplierFactory(), FactoryFactory()),
    )
    assert response.status_code == 200
    assert "factory" in response.context["adminform"].form.errors
    assert not Audit.objects.exists()


def test_an_officer_closes_with_a_review_and_reopens_with_a_note(client, compliance_officer):
    action = answered(CorrectiveActionFactory())
    action_submit(action, actor=compliance_officer)
    client.force_login(compliance_officer)
    reopen = reverse("admin:compliance_correctiveaction_reopen", args=[action.pk])
    assert client.post(reopen, {"note": ""}).status_code == 200  # required
    assert client.post(reopen, {"note": "Add photos."}).status_code == 302
    action.refresh_from_db()
    assert action.status == "open"
    close = reverse("admin:compliance_correctiveaction_close", args=[action.pk])
    refused = client.post(close, {"effectiveness_review": "Fine."})
    assert refused.status_code == 200  # an open action cannot be closed: shown on the form
    assert "cannot move" in refused.content.decode()
    action_submit(action, actor=compliance_officer)
    assert client.post(close, {"effectiveness_review": "Verified."}).status_code == 302
    action.refresh_from_db()
    assert (action.status, action.effectiveness_review) == ("closed", "Verified.")


def test_the_list_action_leads_to_one_action_s_page(client, compliance_officer):
    action = CorrectiveActionFactory()
    client.force_login(compliance_officer)
    response = client.post(
        reverse("admin:compliance_correctiveaction_changelist"),
        {"action": "close_selected", "_selected_action": [action.pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:compliance_correctiveaction_close", args=[action.pk]
    )


def test_operators_read_but_do_not_decide(client, operator):
    action = answered(CorrectiveActionFactory())
    client.force_login(operator)
    assert client.get(reverse("admin:compliance_correctiveaction_changelist")).status_code == 200
    close = reverse("admin:compliance_correctiveaction_close", args=[action.pk])
    assert client.post(close, {"effectiveness_review": "x"}).status_code == 403
    assert client.get(reverse("admin:compliance_audit_add")).status_code == 403


def test_evidence_is_served_to_officers(client, compliance_officer):
    action = answered(CorrectiveActionFactory())
    evidence = action.evidence.get()
    client.force_login(compliance_officer)
    page = client.get(reverse("admin:compliance_correctiveaction_change", args=[action.pk]))
    url = reverse("admin:compliance_correctiveaction_evidence", args=[evidence.pk])
    assert url in page.content.decode()
    assert client.get(url).status_code == 200


def test_the_lists_keep_their_query_count(
    client, compliance_officer, django_assert_max_num_queries
):
    CorrectiveActionFactory()
    client.force_login(compliance_officer)
    urls = [
        reverse("admin:compliance_audit_changelist"),
        reverse("admin:compliance_correctiveaction_changelist"),
        reverse("admin:compliance_correctiveaction_changelist") + "?due=overdue",
    ]
    for url in urls:
        client.get(url)
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(30) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    for _ in range(5):
        audit = AuditFactory()
        for severity in ("critical", "major", "minor"):
            CorrectiveActionFactory(finding__audit=audit, finding__severity=severity)
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            client.get(url)


def test_the_run_now_page_pauses_overdue_critical_listings(client, operator):
    supplier = SupplierFactory()
    toys = CategoryFactory(code="toys")
    listing = ListingFactory(
        supplier=supplier, product__category=toys, status=Listing.Status.LIVE, is_jit=True
    )
    critical_action(supplier, category=toys)
    client.force_login(operator)
    url = reverse("admin:catalogue_listingactionpause_run")
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    listing.refresh_from_db()
    assert listing.status == Listing.Status.PAUSED
    assert ListingActionPause.objects.filter(listing=listing).exists()
