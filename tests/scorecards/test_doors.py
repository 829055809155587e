"""The scorecard through the three doors (API, portal, admin) and its notification: each
component with its counts, interval and score or "no data"; a supplier never sees another's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.formatting import suppliers_today
from marketplace.models import JobRun
from scorecards.services.compute import compute_scorecards, scorecard_row
from suppliers.models import Scorecard
from tests.api_support import assert_error, bearer, walk
from tests.factories.accounts import UserFactory, api_client, supplier_token
from tests.factories.suppliers import MembershipFactory, SupplierFactory
from tests.isolation import RIVAL_ROLES, leaked, rival_member

pytestmark = pytest.mark.django_db

URL = "/api/v1/scorecards/"
COUNTS = {
    "on_time_due": 14,
    "on_time_ok": 12,
    "inspected_lots": 0,
    "rejected_lots": 0,
    "units_sold": 200,
    "units_returned": 6,
    "returns_inspected": 0,
    "returns_defective": 0,
    "lab_tests": 3,
    "lab_passed": 3,
    "open_corrective_actions": 0,
}

# 20 of 100 shipped on time, 30 % of units returned, no lab test passed.
VERY_POOR = {"on_time_due": 100, "on_time_ok": 20, "units_returned": 60, "lab_passed": 0}


def history(supplier, days: int = 3, **changes: int) -> list[Scorecard]:
    """`days` daily scorecards up to today from the same counts."""
    cards = []
    for back in range(days - 1, -1, -1):
        card = scorecard_row(
            supplier.pk, suppliers_today() - timedelta(days=back), {**COUNTS, **changes}, False
        )
        card.save()
        cards.append(card)
    return cards


def owner_of(supplier):
    return MembershipFactory(supplier=supplier, role="owner").user


def viewer(user):
    user.user_permissions.add(Permission.objects.get(codename="view_scorecard"))
    return type(user).objects.get(pk=user.pk)


# --- API -----------------------------------------------------------------------------------------


def test_a_supplier_reads_its_own_history_only():
    mine, theirs = SupplierFactory(), SupplierFactory()
    history(mine)
    history(theirs, on_time_ok=2)
    caller = bearer(supplier_token(owner_of(mine)))
    rows = walk(caller, URL)
    assert {row["supplier"] for row in rows} == {mine.pk}
    assert [row["day"] for row in rows] == [
        (suppliers_today() - timedelta(days=n)).isoformat() for n in range(3)
    ]
    on_time = next(c for c in rows[0]["components"] if c["name"] == "on_time")
    assert (on_time["n"], on_time["hits"], on_time["scored"]) == (14, 12, True)
    assert on_time["low"] == "0.6006"
    assert on_time["high"] == "0.9599"
    quality = next(c for c in rows[0]["components"] if c["name"] == "quality")
    assert quality["scored"] is False
    assert quality["score"] is None
    assert quality["low"] is None
    assert quality["share"] is None
    assert walk(caller, f"{URL}?supplier={theirs.pk}") == []
    other = Scorecard.objects.filter(supplier=theirs).first()
    assert caller.get(f"{URL}{other.pk}/").status_code == 404
    own = Scorecard.objects.filter(supplier=mine).first()
    assert caller.get(f"{URL}{own.pk}/").json()["supplier"] == mine.pk


def staff_without_a_role():
    """Every staff role reads scorecards (accounts/0013): a staff user with none does not."""
    return UserFactory(is_staff=True)


def test_integrators_with_read_and_staff_read_all(api):
    one, two = SupplierFactory(), SupplierFactory()
    history(one, days=1)
    history(two, days=1, **VERY_POOR)
    _client, key = api_client(["read"])
    rows = walk(bearer(key), URL)
    assert {(row["supplier"], row["standing"]) for row in rows} == {
        (one.pk, "good"),
        (two.pk, "very_poor"),
    }
    assert [r["supplier"] for r in walk(bearer(key), f"{URL}?standing=very_poor")] == [two.pk]
    _client, key = api_client(["orders:write"], name="Writer")
    assert bearer(key).get(URL).status_code == 403
    staff = staff_without_a_role()
    api.force_authenticate(staff)
    assert walk(api, URL) == []  # staff without the permission read nothing
    api.force_authenticate(viewer(staff))
    assert len(walk(api, URL)) == 2


def test_filters_by_supplier_and_days_and_refuses_bad_ones():
    supplier = SupplierFactory()
    history(supplier, days=5)
    _client, key = api_client(["read"])
    caller = bearer(key)
    today = suppliers_today()
    since = (today - timedelta(days=1)).isoformat()
    assert len(walk(caller, f"{URL}?supplier={supplier.pk}&day_from={since}")) == 2
    until = (today - timedelta(days=3)).isoformat()
    assert len(walk(caller, f"{URL}?day_to={until}")) == 2
    assert len(walk(caller, f"{URL}?day={today.isoformat()}")) == 1
    body = assert_error(caller.get(f"{URL}?day_from=yesterday"), 400, "invalid")
    assert "day_from" in str(body)
    assert_error(caller.get(f"{URL}?standing=awful"), 400, "invalid")
    assert_error(caller.get(f"{URL}?supplier=1.5"), 400, "invalid")


def test_the_list_costs_the_same_queries_for_many_rows():
    _client, key = api_client(["read"])
    caller = bearer(key)

    def count(n: int) -> int:
        for _ in range(n):
            history(SupplierFactory(), days=2)
        caller.get(URL)
        with CaptureQueriesContext(connection) as captured:
            assert caller.get(URL).status_code == 200
        return len(captured.captured_queries)

    assert count(2) == count(12)


# --- Portal --------------------------------------------------------------------------------------


def test_the_page_shows_each_component_with_its_counts_interval_and_weight(client):
    supplier = SupplierFactory()
    history(supplier, days=5)
    client.force_login(owner_of(supplier))
    response = client.get(reverse("portal:scorecard"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "12 of 14 shipments on time" in text
    assert "60.1% to 96.0%" in text  # the on-time rate's 95% interval
    assert "6 of 200 units sold returned as defective or not as described" in text
    lines = {c.name: c for c in response.context["components"]}
    assert lines["quality"].scored is False
    assert 'data-component="quality"' in text
    assert "no data" in text
    assert lines["corrective"].counts == "No factory audit yet"
    assert lines["on_time"].weight == 30
    assert lines["on_time"].share == "46.2%"
    assert response.context["standing"] == "good"
    assert "You bid in tenders" in text
    main = text.split("<main", 1)[1]
    assert 'data-testid="trend"' in main
    assert "<script" not in main
    assert "//" not in main
    trend = {line.name: line for line in response.context["trend"]}
    assert trend["overall"].points.count(",") == 5  # five days, one point each
    assert trend["quality"].points == ""  # never scored: no line


def test_a_supplier_without_a_scorecard_is_told_it_is_new(client):
    supplier = SupplierFactory()
    client.force_login(owner_of(supplier))
    text = client.get(reverse("portal:scorecard")).content.decode()
    assert "No scorecard yet" in text
    assert "treated like a good one, not as failing" in text


def test_a_very_poor_supplier_reads_what_it_means(client):
    supplier = SupplierFactory()
    history(supplier, days=1, **VERY_POOR)
    client.force_login(owner_of(supplier))
    text = client.get(reverse("portal:scorecard")).content.decode()
    assert "You cannot bid in tenders" in text
    assert "capped at 30 units" in text


def test_the_page_reads_in_chinese(client):
    supplier = SupplierFactory()
    history(supplier, days=2)
    client.force_login(owner_of(supplier))
    client.cookies["django_language"] = "zh-hans"
    text = client.get(reverse("portal:scorecard")).content.decode()
    for english in ("shipments on time", "No factory audit yet", "no data", "Overall score"):
        assert english not in text
    assert "评分卡" in text


def test_the_page_costs_the_same_queries_whatever_the_history(client):
    supplier = SupplierFactory()
    client.force_login(owner_of(supplier))

    def count(days: int) -> int:
        Scorecard.objects.filter(supplier=supplier).delete()
        history(supplier, days=days)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("portal:scorecard")).status_code == 200
        return len(captured.captured_queries)

    assert count(2) == count(60)


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_suppliers_people_never_see_it(client, api, role):
    victim = SupplierFactory()
    history(victim, days=3, on_time_due=77, on_time_ok=71)
    rival = rival_member(role)
    client.force_login(rival)
    response = client.get(reverse("portal:scorecard"))
    assert response.status_code == 200
    assert response.context["card"] is None
    assert leaked(response, ["71 of 77"]) == []
    caller = bearer(supplier_token(rival))
    assert walk(caller, URL) == []
    for card in Scorecard.objects.filter(supplier=victim):
        assert caller.get(f"{URL}{card.pk}/").status_code == 404


def test_staff_and_anonymous_cannot_enter_the_page(client, operator):
    assert client.get(reverse("portal:scorecard")).status_code == 302
    client.force_login(operator)
    assert client.get(reverse("portal:scorecard")).status_code == 403


def test_the_supplier_is_told_of_a_standing_change_in_its_notifications(client):
    supplier = SupplierFactory()
    owner = owner_of(supplier)
    Scorecard.objects.create(
        supplier=supplier, day=suppliers_today() - timedelta(days=1), standing="good", score=80
    )
    from compliance.models import Audit, CorrectiveAction, Finding

    audit = Audit.objects.create(
        supplier=supplier,
        auditor="A",
        audited_on=suppliers_today() - timedelta(days=3),
        score=60,
        recorded_by=owner,
    )
    for _ in range(3):
        finding = Finding.objects.create(audit=audit, severity="major", area="a", description="d")
        CorrectiveAction.objects.create(
            finding=finding, supplier=supplier, due_on=suppliers_today()
        )
    compute_scorecards(supplier_ids=[supplier.pk])
    client.force_login(owner)
    lines = client.get(reverse("portal:notifications")).context["lines"]
    line = next(x for x in lines if x.event.kind == "scorecard.standing_changed")
    assert "Your standing moved from Good to Very poor" in line.text
    assert "overall score 25.00" in line.text
    assert suppliers_today().isoformat() not in line.text  # the day as pages show dates
    assert "You cannot bid in tenders" in line.text
    assert line.url == reverse("portal:scorecard")
    client.cookies["django_language"] = "zh-hans"
    lines = client.get(reverse("portal:notifications")).context["lines"]
    line = next(x for x in lines if x.event.kind == "scorecard.standing_changed")
    assert "Your standing" not in line.text
    assert "Very poor" not in line.text


# --- Admin ---------------------------------------------------------------------------------------


def test_the_admin_lists_and_explains_scorecards(client, operator):
    supplier = SupplierFactory(name_en="Visible Co")
    history(supplier, days=2)
    client.force_login(viewer(operator))
    url = reverse("admin:suppliers_scorecard_changelist")
    page = client.get(url).content.decode()
    assert "Visible Co" in page
    assert "OT " in page
    assert 'data-testid="recompute-now"' in page
    assert client.get(f"{url}?standing__exact=good").status_code == 200
    assert client.get(f"{url}?day={suppliers_today().isoformat()}").status_code == 200
    card = Scorecard.objects.filter(supplier=supplier).latest("day")
    detail = client.get(reverse("admin:suppliers_scorecard_change", args=[card.pk]))
    text = detail.content.decode()
    assert "12 / 14" in text
    assert "60.1% to 96.0%" in text
    assert "no data" in text
    client.cookies["django_language"] = "zh-hans"
    text = client.get(reverse("admin:suppliers_scorecard_change", args=[card.pk])).content.decode()
    assert "60.1% 至 96.0%" in text
    assert "Supplier:" not in text


def test_the_admin_list_costs_the_same_queries_for_many_rows(client, operator):
    client.force_login(viewer(operator))
    url = reverse("admin:suppliers_scorecard_changelist")

    def count(n: int) -> int:
        for _ in range(n):
            history(SupplierFactory(), days=1)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    assert count(2) == count(10)


def test_the_admin_recomputes_selected_suppliers_and_starts_a_full_run(
    client, operator, django_capture_on_commit_callbacks, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    supplier = SupplierFactory()
    stale = history(supplier, days=1)[0]
    client.force_login(viewer(operator))
    url = reverse("admin:suppliers_scorecard_changelist")
    client.post(url, {"action": "recompute_selected", "_selected_action": [stale.pk]})
    stale.refresh_from_db()
    assert stale.on_time_due == 0
    assert stale.standing == "new"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:suppliers_scorecard_recompute_now"))
    assert response.status_code == 302
    assert "name=scorecards" in response["Location"]
    assert JobRun.objects.filter(name="scorecards", status="succeeded").exists()


def test_the_admin_refuses_those_without_the_permission(client):
    client.force_login(staff_without_a_role())
    assert client.get(reverse("admin:suppliers_scorecard_changelist")).status_code == 403
    assert client.post(reverse("admin:suppliers_scorecard_recompute_now")).status_code == 403
