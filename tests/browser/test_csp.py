"""Every door's main pages run under the Content-Security-Policy without a single violation:
the admin (dashboard, change lists with and without actions, a change page), the seller portal
and Swagger UI. A violation is caught twice: by the `securitypolicyviolation` event the browser
fires in the page, and by the console error it logs (conftest.py fails a test on any)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from accounts.roles import OPERATORS
from marketplace.events import record_event
from tests.factories.accounts import PASSWORD, staff_user
from tests.factories.logistics import stocked_listing
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Installed before any script of the page runs, in every page of the context.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


def _visit(page: Any, url: str, seen: dict[str, list[str]], ready: str = "body") -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, url
    policy = response.headers["content-security-policy"]
    # The nonce is in the header only on pages that use it.
    [scripts] = [d.split()[1:] for d in policy.split("; ") if d.startswith("script-src ")]
    assert all(s == "'self'" or s.startswith("'nonce-") for s in scripts), policy
    page.wait_for_selector(ready)
    page.wait_for_load_state("networkidle")
    seen[url] = page.evaluate("window.__cspViolations")


def _sign_in_admin(page: Any, live_server: Any) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", "op")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")


def test_the_admin_runs_under_the_policy(live_server, page, shot):
    page.context.add_init_script(RECORD_VIOLATIONS)
    staff_user(OPERATORS, username="op")
    listing = jit_listing()
    jit_order(listing)
    record_event("supplier.applied", actor=None, supplier=listing.supplier)
    _sign_in_admin(page, live_server)
    seen: dict[str, list[str]] = {}
    base = live_server.url
    _visit(page, base + "/admin/", seen, "[data-testid=operator-dashboard]")
    shot("dashboard")
    for url in (
        reverse("admin:suppliers_supplier_changelist"),
        reverse("admin:suppliers_supplier_change", args=[listing.supplier_id]),
        reverse("admin:orders_jitorder_changelist"),
        reverse("admin:marketplace_event_changelist"),
        reverse("admin:marketplace_webhookendpoint_add"),
        reverse("admin:django_celery_beat_periodictask_changelist"),
    ):
        _visit(page, base + url, seen, "#content")
    shot("last")
    assert {url: v for url, v in seen.items() if v} == {}


def test_the_portal_runs_under_the_policy(live_server, page, shot):
    page.context.add_init_script(RECORD_VIOLATIONS)
    owner = MembershipFactory(user__username="bright", role="owner")
    listing = stocked_listing(5)
    listing.supplier = owner.supplier
    listing.save()
    page.goto(live_server.url + reverse("portal:login"))
    page.fill("#id_username", "bright")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    seen: dict[str, list[str]] = {}
    for name in (
        "portal:dashboard",
        "portal:ledger",
        "portal:orders_to_ship",
        "portal:stock",
        "portal:notifications",
        "portal:api_keys",
    ):
        _visit(page, live_server.url + reverse(name), seen, "main")
    shot("last")
    assert {url: v for url, v in seen.items() if v} == {}


def test_swagger_ui_runs_under_the_policy(live_server, page, shot):
    page.context.add_init_script(RECORD_VIOLATIONS)
    staff_user(OPERATORS, username="op")
    _sign_in_admin(page, live_server)
    seen: dict[str, list[str]] = {}
    _visit(page, live_server.url + "/api/docs/", seen, ".swagger-ui .opblock")
    # Open one operation: Swagger UI renders more (models, examples) on demand.
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    seen["after opening an operation"] = page.evaluate("window.__cspViolations")
    shot("swagger")
    assert {url: v for url, v in seen.items() if v} == {}
    # No inline script: the page's own script comes from a URL too.
    inline = page.eval_on_selector_all("script:not([src])", "els => els.length")
    assert inline == 0
