"""The supplier's audits and corrective actions in the portal: countdowns, the answer, evidence
and submission, the officer's decisions, another supplier's rows as 404, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from compliance.models import ActionEvidence, CorrectiveAction
from compliance.services.audits import action_close, action_reopen, action_submit
from tests.factories.catalogue import CategoryFactory
from tests.factories.suppliers import MembershipFactory
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, leaked, rival_member

from .audits_support import AuditFactory, CorrectiveActionFactory, answered, pdf, png

pytestmark = pytest.mark.django_db

NOW = "2026-12-05 10:00:00+08:00"
SECRETS = ["Secret paint finding", "SECRET-AUDITOR", "secret root cause", "secret-evidence"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owner():
    return MembershipFactory(role="owner", user__username="capaowner").user


@pytest.fixture
def action(owner):
    with time_machine.travel(NOW, tick=False):
        audit = AuditFactory(
            supplier=owner.supplier_membership.supplier,
            auditor="SECRET-AUDITOR",
            report_file=pdf("audit-report.pdf"),
        )
        made = CorrectiveActionFactory(
            finding__audit=audit,
            finding__severity="critical",
            finding__description="Secret paint finding",
            finding__category=CategoryFactory(code="toys"),
            due_on=audit.audited_on + timedelta(days=40),
        )
    made.root_cause = "secret root cause"
    made.save()
    ActionEvidence.objects.create(
        action=made, file=pdf("secret-evidence.pdf"), uploaded_by=owner, note="secret-evidence"
    )
    return made


def _supplier(user):
    return user.supplier_membership.supplier


@time_machine.travel(NOW, tick=False)
def test_the_list_shows_the_audit_and_the_countdown(client, owner, action):
    client.force_login(owner)
    response = client.get(reverse("portal:compliance_audits"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "SECRET-AUDITOR" in text
    # Audited 30 days ago, due 40 days after: 10 days left.
    assert "due in 10 days" in text


@time_machine.travel(NOW, tick=False)
def test_an_overdue_action_says_by_how_much(client, owner, action):
    CorrectiveAction.objects.filter(pk=action.pk).update(due_on=action.due_on - timedelta(days=13))
    client.force_login(owner)
    text = client.get(reverse("portal:compliance_action_detail", args=[action.pk])).content
    assert "overdue by 3 days" in text.decode()
    assert b'data-testid="overdue-critical"' in text


@time_machine.travel(NOW, tick=False)
def test_the_page_reads_in_chinese(client, owner, action):
    client.force_login(owner)
    client.cookies["django_language"] = "zh-hans"
    text = client.get(reverse("portal:compliance_action_detail", args=[action.pk])).content
    text = text.decode()
    assert "纠正措施" in text
    assert "还剩 10 天" in text or "10 天后到期" in text


def test_the_audit_page_groups_findings_by_severity(client, owner, action):
    CorrectiveActionFactory(finding__audit=action.finding.audit, finding__severity="minor")
    client.force_login(owner)
    response = client.get(reverse("portal:compliance_audit_detail", args=[action.finding.audit_id]))
    text = response.content.decode()
    assert 'data-testid="findings-critical"' in text
    assert 'data-testid="findings-minor"' in text
    assert 'data-testid="findings-major"' not in text
    report = client.get(reverse("portal:compliance_audit_report", args=[action.finding.audit_id]))
    assert report.status_code == 200
    assert b"".join(report.streaming_content).startswith(b"%PDF-")


def test_the_supplier_answers_uploads_and_submits(client, owner, action):
    client.force_login(owner)
    url = reverse("portal:compliance_action_detail", args=[action.pk])
    # Submitting an incomplete answer is refused with the reason.
    response = client.post(
        reverse("portal:compliance_action_submit", args=[action.pk]), follow=True
    )
    assert "Fill in the root cause" in response.content.decode()
    response = client.post(
        reverse("portal:compliance_action_answer", args=[action.pk]),
        {"root_cause": "Supplier change", "containment": "Held batch", "preventive_step": "XRF"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("portal:compliance_action_evidence", args=[action.pk]),
        {"file": png(), "note": "new rack"},
    )
    assert response.status_code == 302
    response = client.post(reverse("portal:compliance_action_submit", args=[action.pk]))
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "submitted"
    assert (action.root_cause, action.preventive_step) == ("Supplier change", "XRF")
    assert action.evidence.count() == 2
    page = client.get(url).content.decode()
    assert 'data-testid="answer-form"' not in page
    assert 'data-testid="waiting"' in page


def test_a_file_that_is_not_a_document_is_refused_beside_the_field(client, owner, action):
    client.force_login(owner)
    response = client.post(
        reverse("portal:compliance_action_evidence", args=[action.pk]),
        {"file": SimpleUploadedFile("run.pdf", b"MZ\x90\x00evil")},
    )
    assert response.status_code == 200
    assert "The file must be a PDF, JPEG or PNG." in response.content.decode()
    assert action.evidence.count() == 1


def test_the_officer_s_decisions_are_shown(client, owner, action, compliance_officer):
    answered(action)
    action_submit(action, actor=owner)
    action_reopen(action, note="Photos of the rack missing.", actor=compliance_officer)
    action_submit(action, actor=owner)
    action_close(action, effectiveness_review="Verified on the line.", actor=compliance_officer)
    client.force_login(owner)
    page = client.get(reverse("portal:compliance_action_detail", args=[action.pk])).content
    page = page.decode()
    assert "Photos of the rack missing." in page
    assert "Verified on the line." in page
    assert page.count('data-testid="decision"') == 2


def test_evidence_downloads_for_its_supplier(client, owner, action):
    client.force_login(owner)
    evidence = action.evidence.get()
    response = client.get(
        reverse("portal:compliance_action_evidence_file", args=[action.pk, evidence.pk])
    )
    assert response.status_code == 200


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_supplier_sees_nothing_and_every_id_is_404(client, action, role):
    rival = rival_member(role)
    client.force_login(rival)
    for name in ["portal:compliance_audits"]:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert leaked(response, SECRETS) == []
    evidence = action.evidence.get()
    audit = action.finding.audit_id
    answer = {"root_cause": "x", "containment": "y", "preventive_step": "z"}

    def state():
        action.refresh_from_db()
        return (action.status, action.root_cause, ActionEvidence.objects.count())

    assert_ids_are_404(
        client,
        [
            ("get", reverse("portal:compliance_audit_detail", args=[audit]), {}),
            ("get", reverse("portal:compliance_audit_report", args=[audit]), {}),
            ("get", reverse("portal:compliance_action_detail", args=[action.pk]), {}),
            ("post", reverse("portal:compliance_action_answer", args=[action.pk]), answer),
            (
                "post",
                reverse("portal:compliance_action_evidence", args=[action.pk]),
                {"file": pdf()},
            ),
            ("post", reverse("portal:compliance_action_submit", args=[action.pk]), {}),
            (
                "get",
                reverse("portal:compliance_action_evidence_file", args=[action.pk, evidence.pk]),
                {},
            ),
        ],
        state=state,
        secrets=SECRETS,
    )


def test_evidence_of_another_action_is_404_under_this_one(client, owner, action):
    mine = CorrectiveActionFactory(finding__audit=action.finding.audit)
    client.force_login(owner)
    evidence = action.evidence.get()
    url = reverse("portal:compliance_action_evidence_file", args=[mine.pk, evidence.pk])
    assert client.get(url).status_code == 404


def test_the_list_costs_the_same_queries_for_more_rows(
    client, owner, action, django_assert_max_num_queries
):
    client.force_login(owner)
    url = reverse("portal:compliance_audits")
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    supplier = _supplier(owner)
    for _ in range(5):
        audit = AuditFactory(supplier=supplier)
        for severity in ("critical", "major", "minor"):
            CorrectiveActionFactory(finding__audit=audit, finding__severity=severity)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("data-action=") == 16


def test_the_audit_page_costs_the_same_queries_for_more_findings(
    client, owner, action, django_assert_max_num_queries
):
    client.force_login(owner)
    url = reverse("portal:compliance_audit_detail", args=[action.finding.audit_id])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(6):
        CorrectiveActionFactory(finding__audit=action.finding.audit, finding__severity="major")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
