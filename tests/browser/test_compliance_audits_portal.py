"""A corrective action in a real browser: the supplier finds it under Compliance with its
countdown, answers it, uploads a photo, submits it (confirming), and reads the officer's
decision once it is closed. See conftest.py for the route guard every test runs under."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.roles import COMPLIANCE
from compliance.models import CorrectiveAction
from compliance.selectors.audits import capa_today
from compliance.services.audits import action_close
from tests.compliance.audits_support import PNG, CorrectiveActionFactory
from tests.factories.accounts import PASSWORD, staff_user
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def test_answer_upload_and_submit_a_corrective_action(live_server, page, shot, tmp_path):
    member = MembershipFactory(user__username="capa")
    action = CorrectiveActionFactory(
        finding__audit__supplier=member.supplier,
        finding__severity="critical",
        finding__area="chemical control",
        due_on=capa_today() + timedelta(days=10),
    )
    photo = tmp_path / "rack.png"
    photo.write_bytes(PNG)

    page.goto(live_server.url + reverse("portal:compliance_audits"))
    page.fill("#id_username", "capa")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == reverse("portal:compliance_audits"), page.url
    row = page.locator(f"tr[data-action='{action.pk}']")
    assert row.locator("[data-testid=countdown]").inner_text() == "due in 10 days"
    shot("audits")

    with page.expect_navigation():
        row.locator("a").first.click()
    page.fill("#id_root_cause", "The paint supplier changed without notice.")
    page.fill("#id_containment", "Held the batch.")
    page.fill("#id_preventive_step", "XRF test of each incoming paint batch.")
    with page.expect_navigation():
        page.click("[data-testid=answer-form] button[type=submit]")
    assert "Your answer is saved." in page.locator("main").inner_text()

    page.set_input_files("#id_file", str(photo))
    page.fill("#id_note", "The new rack")
    with page.expect_navigation():
        page.click("[data-testid=evidence-form] button[type=submit]")
    assert "rack" in page.locator("[data-testid=evidence-files]").inner_text()

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("[data-testid=submit]")
    assert page.locator("[data-testid=action-status]").inner_text() == "Submitted for review"
    assert page.locator("[data-testid=answer-form]").count() == 0
    shot("submitted")
    action.refresh_from_db()
    assert action.status == CorrectiveAction.Status.SUBMITTED

    officer = staff_user(COMPLIANCE, username="officer")
    action_close(action, effectiveness_review="Checked the rack on site.", actor=officer)
    page.reload()
    assert "Checked the rack on site." in page.locator("[data-testid=decisions]").inner_text()
    assert page.locator("[data-testid=countdown]").count() == 0
