"""The pages people use, in a real browser: the seller portal (desktop and phone), its API keys,
the operator admin and the API docs. See conftest.py for the route guard every test runs under.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from accounts.roles import OPERATORS
from tests.factories.accounts import PASSWORD, staff_user
from tests.factories.suppliers import MembershipFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
PO_FILE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def po_translations(path: Path) -> dict[str, str]:
    """msgid -> msgstr of a .po file, leaving out fuzzy entries (compilemessages skips them),
    plurals and the header. Enough for plain strings; no polib needed."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key: str | None = None
    fuzzy = False

    def flush() -> None:
        msgid, msgstr = current.get("msgid"), current.get("msgstr")
        if msgid and msgstr and not fuzzy and "msgid_plural" not in current:
            entries[msgid] = msgstr

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            current, key, fuzzy = {}, None, False
        elif line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    flush()
    return entries


def zh_translation(msgid: str) -> str:
    translated = po_translations(PO_FILE).get(msgid)
    assert translated, (
        f"{PO_FILE.relative_to(ROOT)} has no (non-fuzzy) Chinese msgstr for {msgid!r}: the "
        "portal cannot show it in Chinese"
    )
    return translated


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def sign_in_portal(page: Any, username: str) -> None:
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def no_horizontal_scroll(page: Any) -> dict[str, int]:
    return page.evaluate(
        "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth})"
    )


def test_portal_sign_in_switch_to_chinese_and_sign_out(live_server, page, shot):
    membership = MembershipFactory(user__username="bright")
    supplier = membership.supplier

    page.goto(live_server.url + "/portal/")
    assert path_of(page) == reverse("portal:login"), page.url
    assert "next=/portal/" in page.url
    assert page.locator("html").get_attribute("lang") == "en"
    shot("login")

    sign_in_portal(page, "bright")
    assert path_of(page) == reverse("portal:dashboard"), page.url
    heading = page.locator("main h1")
    assert supplier.name_zh in heading.inner_text()
    assert supplier.name_en in heading.inner_text()
    api_keys_link = page.locator(f"header nav a[href='{reverse('portal:api_keys')}']")
    assert api_keys_link.inner_text().strip() == "API keys"
    shot("dashboard-en")

    expected = zh_translation("API keys")
    with page.expect_navigation():
        page.click("[data-testid=lang-zh-hans]")
    assert path_of(page) == reverse("portal:dashboard"), page.url
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.locator("[data-testid=lang-zh-hans]").get_attribute("aria-current") == "true"
    shot("dashboard-zh-hans")
    assert api_keys_link.inner_text().strip() == expected, (
        f"the nav link is not translated (is {MO_FILE.relative_to(ROOT)} compiled and current? "
        f"exists: {MO_FILE.exists()})"
    )
    assert supplier.name_zh in heading.inner_text()

    with page.expect_navigation():
        page.click(f"header form[action='{reverse('portal:logout')}'] button[type=submit]")
    assert path_of(page) == reverse("portal:login"), page.url
    assert page.locator("#id_username").is_visible()
    assert page.locator(f"header form[action='{reverse('portal:logout')}']").count() == 0
    shot("signed-out")


@pytest.mark.parametrize("browser_context_args", [PHONE], ids=["phone"])
def test_portal_fits_a_phone_screen(live_server, page, shot):
    MembershipFactory(user__username="bright")

    page.goto(live_server.url + reverse("portal:login"))
    size = no_horizontal_scroll(page)
    # innerWidth 390 also proves the meta viewport: without it a phone lays out 980 px wide.
    assert size["innerWidth"] == PHONE["viewport"]["width"], size
    assert size["scrollWidth"] <= size["innerWidth"] + 1, f"login page scrolls sideways: {size}"
    shot("login")

    sign_in_portal(page, "bright")
    assert path_of(page) == reverse("portal:dashboard"), page.url
    size = no_horizontal_scroll(page)
    assert size["scrollWidth"] <= size["innerWidth"] + 1, f"dashboard scrolls sideways: {size}"
    shot("dashboard")


def test_portal_api_key_is_shown_once_and_can_be_revoked(live_server, page, shot):
    user = MembershipFactory(user__username="bright").user

    page.goto(live_server.url + reverse("portal:api_keys"))
    assert path_of(page) == reverse("portal:login"), page.url
    sign_in_portal(page, "bright")
    assert path_of(page) == reverse("portal:api_keys"), page.url
    assert page.locator("[data-testid=new-key]").count() == 0
    shot("empty")

    page.fill("#id_name", "ERP sync")
    with page.expect_navigation():
        page.get_by_role("button", name="Create key").click()
    new_key = page.locator("[data-testid=new-key]")
    plain = new_key.inner_text().strip()
    assert plain.startswith("mk_"), plain
    key = ApiKey.objects.get(user=user)
    assert key.name == "ERP sync"
    assert key.key_hash == ApiKey.hash(plain)
    row = page.locator("tbody tr", has_text="ERP sync")
    assert row.count() == 1
    assert f"mk_{key.lookup}_" in row.inner_text()
    assert plain not in row.inner_text()
    shot("created")

    with page.expect_navigation():
        row.get_by_role("button", name="Revoke").click()
    assert path_of(page) == reverse("portal:api_keys"), page.url
    assert page.locator("[data-testid=new-key]").count() == 0, "the key was shown a second time"
    row = page.locator("tbody tr", has_text="ERP sync")
    assert "Revoked" in row.inner_text()
    assert "muted" in (row.get_attribute("class") or "")
    assert row.get_by_role("button", name="Revoke").count() == 0
    assert "ERP sync" in page.locator(".flash[role=status]").inner_text()
    key.refresh_from_db()
    assert key.revoked_at is not None
    shot("revoked")


def test_admin_index_shows_the_operator_dashboard(live_server, page, shot):
    staff_user(OPERATORS, username="op")
    MembershipFactory(user__username="bright")

    page.goto(live_server.url + "/admin/login/")
    assert "Marketplace back-office" in page.locator("#site-name").inner_text()
    shot("login")
    page.fill("#id_username", "op")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    assert path_of(page) == "/admin/", page.url
    assert "Marketplace back-office" in page.locator("#site-name").inner_text()
    assert "Marketplace back-office" in page.title()
    dashboard = page.locator("[data-testid=operator-dashboard]")
    assert dashboard.is_visible()
    assert "Suppliers by state" in dashboard.inner_text()
    shot("index")


def test_api_docs_render_swagger_ui_from_the_live_server(live_server, page, shot):
    page.goto(live_server.url + "/api/docs/")
    if path_of(page).startswith("/admin/login/"):  # the docs sit behind the admin login
        staff_user(OPERATORS, username="op")
        page.fill("#id_username", "op")
        page.fill("#id_password", PASSWORD)
        with page.expect_navigation():
            page.click("#login-form [type=submit]")
    assert path_of(page) == "/api/docs/", page.url
    page.wait_for_selector(".swagger-ui")
    operation = page.locator(
        ".opblock-summary-path", has_text=re.compile(r"/api/v1/(whoami|suppliers)/")
    )
    operation.first.wait_for()
    assert "Marketplace back-office API" in page.locator(".swagger-ui .info .title").inner_text()
    shot("swagger")
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    styles = page.eval_on_selector_all("link[rel=stylesheet]", "els => els.map(e => e.href)")
    host = urlsplit(live_server.url).netloc
    assert scripts, "no script on the page"
    assert styles, "no stylesheet on the page"
    assert all(urlsplit(url).netloc == host for url in scripts + styles), scripts + styles


PDF_LICENCE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_portal_onboarding_apply_with_a_licence_and_land_on_the_status_page(
    live_server, page, shot, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    from suppliers.models import Membership, Supplier
    from tests.factories.suppliers import credit_code

    code = credit_code(424242)
    page.goto(live_server.url + reverse("portal:login"))
    with page.expect_navigation():
        page.click("[data-testid=apply-link]")
    assert path_of(page) == reverse("portal:apply"), page.url
    assert page.locator("header nav").count() == 0  # no account yet, no portal menu

    page.fill("#id_name_zh", "汕头市澄海区乐趣玩具厂")
    page.fill("#id_name_en", "Chenghai Joyful Toys")
    page.fill("#id_credit_code", code)
    page.fill("#id_contact_name", "陈明")
    page.fill("#id_contact_phone", "13800138000")
    page.fill("#id_contact_email", "chen@joyful-toys.example")
    page.get_by_label("Toys", exact=True).check()
    page.select_option("#id_factories-0-province", "Guangdong")
    page.fill("#id_factories-0-city", "Shantou")
    page.fill("#id_factories-0-address", "18 Wanji Road, Chenghai")
    page.fill("#id_factories-0-industrial_cluster", "Chenghai toys")
    # The script adds a row; a blank row is left out.
    assert page.locator("fieldset.factory").count() == 3
    page.click("[data-formset-add]")
    assert page.locator("fieldset.factory").count() == 4
    assert page.locator("#id_factories-TOTAL_FORMS").input_value() == "4"
    page.set_input_files(
        "#id_business_licence",
        files=[{"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF_LICENCE}],
    )
    page.fill("#id_username", "chenming")
    page.fill("#id_email", "chen@joyful-toys.example")
    page.fill("#id_password1", "kiln-lantern-harbour-2026")
    page.fill("#id_password2", "kiln-lantern-harbour-2026")
    shot("filled")

    with page.expect_navigation():
        page.get_by_role("button", name="Submit the application").click()
    assert path_of(page) == reverse("portal:application"), page.url
    assert page.locator("[data-testid=supplier-status]").inner_text().strip() == "Applied"
    assert "Chenghai Joyful Toys" in page.locator("main h1").inner_text()
    assert "Application submitted." in page.locator("[data-testid=history]").inner_text()
    nav_link = page.locator(f"header nav a[href='{reverse('portal:application')}']")
    assert nav_link.get_attribute("aria-current") == "page"
    shot("status")

    supplier = Supplier.objects.get(credit_code=code)
    assert supplier.status == Supplier.Status.APPLIED
    assert list(supplier.factories.values_list("city", flat=True)) == ["Shantou"]
    assert supplier.business_licence.name.endswith(".pdf")
    assert Membership.objects.get(supplier=supplier).user.username == "chenming"
