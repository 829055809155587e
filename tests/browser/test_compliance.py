"""Compliance in a real browser: a supplier finds under Compliance why a listing may not be sold
in the EU (its GPSR details are missing), fills them in on the listing and sees it sellable there,
in Chinese too; reads its enforcement case and appeals it; and anyone opens a live listing's
public trust page, which names no supplier. See conftest.py for the route guard every test runs
under."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Category, Listing, ListingPrice
from compliance.models import EnforcementCase, TestRecord
from compliance.services.enforcement import cases_open_for_failures
from compliance.services.trust import trust_pages_for
from tests.factories.accounts import PASSWORD, UserFactory
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.compliance import LabAccreditationFactory, TestRecordFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def seed_spec_programmes() -> None:
    """The SPEC's programmes, as migrate seeds them (a transactional test's database is emptied
    between tests)."""
    importlib.import_module("compliance.migrations.0006_seed_required_standards").seed(apps, None)


def sign_in(page: Any, live_server: Any, path: str, username: str) -> None:
    page.goto(live_server.url + path)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert path_of(page) == path, page.url


def eu_cell(page: Any, listing: Listing) -> Any:
    return page.locator(f"tr[data-listing='{listing.pk}'] td[data-market='EU']")


def test_a_supplier_sees_why_a_listing_is_blocked_and_fixes_its_gpsr_details(
    live_server, page, shot
):
    seed_spec_programmes()
    member = MembershipFactory(user__username="gpsr")
    home = Category.objects.create(code="home", name_en="Home", name_zh="家居", risk_level="low")
    listing = ListingFactory(
        supplier=member.supplier,
        product=ProductFactory(category=home, title_en="Bamboo tray", title_zh="竹托盘"),
        status=Listing.Status.LIVE,
    )
    ListingPrice.objects.create(
        listing=listing, market="EU", currency="EUR", amount="12.00", set_by=UserFactory()
    )

    sign_in(page, live_server, reverse("portal:compliance_overview"), "gpsr")
    nav = page.locator(f"header nav a[href='{reverse('portal:compliance_overview')}']")
    assert nav.get_attribute("aria-current") == "page"
    assert eu_cell(page, listing).locator("[data-testid=compliance-blocked]").count() == 1
    reasons = eu_cell(page, listing).locator("[data-testid=compliance-reasons] li")
    assert reasons.first.get_attribute("data-code") == "gpsr_details_missing"
    shot("blocked")

    with page.expect_navigation():
        page.click(f"tr[data-listing='{listing.pk}'] a")
    page.fill("#id_gpsr_manufacturer", "Ningbo Bamboo Works, 8 Harbour Rd, Ningbo, CN")
    page.fill("#id_eu_responsible_person", "EuroRep GmbH, Am Sandtorkai 1, Hamburg, DE")
    with page.expect_navigation():
        page.click("[data-testid=gpsr-form] button[type=submit]")
    assert "The GPSR details are saved." in page.locator("main").inner_text()

    page.goto(live_server.url + reverse("portal:compliance_overview"))
    assert eu_cell(page, listing).locator("[data-testid=compliance-ok]").count() == 1
    page.click("[data-testid=lang-zh-hans]")
    page.wait_for_load_state()
    assert eu_cell(page, listing).inner_text().strip() == "可以销售"
    assert page.locator("th[data-market='EU']").inner_text() == "欧盟"
    shot("sellable-zh")


def test_a_supplier_reads_its_enforcement_case_and_appeals(live_server, page, shot):
    seed_spec_programmes()
    member = MembershipFactory(user__username="appeal")
    listing = ListingFactory(
        supplier=member.supplier,
        product=ProductFactory(category=Category.objects.get(code="toys")),
        status=Listing.Status.LIVE,
    )
    accreditation = LabAccreditationFactory(standard__code="CPSIA")
    TestRecordFactory(
        product=listing.product,
        supplier=member.supplier,
        standard=accreditation.standard,
        lab=accreditation.lab,
        result=TestRecord.Result.FAIL,
        issued_on=timezone.localdate() - timedelta(days=1),
    )
    assert cases_open_for_failures() == 1
    case = EnforcementCase.objects.get()

    sign_in(page, live_server, reverse("portal:compliance_cases"), "appeal")
    with page.expect_navigation():
        page.click(f"a[href='{reverse('portal:compliance_case_detail', args=[case.pk])}']")
    assert "United States" in page.locator("[data-testid=case-markets]").inner_text()
    page.fill("#id_text", "The lab tested a sample from another factory; our retest passes.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    shot("appealed")
    case.refresh_from_db()
    assert case.status == EnforcementCase.Status.APPEALED
    assert "another factory" in page.locator("main").inner_text()


def test_the_public_trust_page_shows_tests_and_no_supplier(live_server, page, shot):
    seed_spec_programmes()
    member = MembershipFactory(supplier__name_en="Secret Supplier Ltd")
    home = Category.objects.create(code="home", name_en="Home", name_zh="家居", risk_level="low")
    listing = ListingFactory(
        supplier=member.supplier,
        product=ProductFactory(category=home, title_en="Bamboo tray", title_zh="竹托盘"),
        status=Listing.Status.LIVE,
    )
    record = TestRecordFactory(product=listing.product, supplier=member.supplier)
    token = trust_pages_for(Listing.objects.filter(pk=listing.pk))[listing.pk].token

    page.goto(f"{live_server.url}/trust/{token}/")
    text = page.locator("main").inner_text()
    assert "Bamboo tray" in text
    assert record.standard.code in text
    assert "Secret Supplier" not in page.content()
    assert page.locator("svg").count() >= 1  # the QR code, drawn on the server
    shot("trust")
