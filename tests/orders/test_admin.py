"""The JIT screens of the admin: the warehouse receives and inspects through actions and the
reject-for-quality form (each calls a service, and records what it says), penalties are
read-only with their evidence, appeals are upheld or waived (a waiver posts a reversal), and the
operator dashboard draws the last 30 days of JIT orders with a constant number of queries."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from marketplace.errors import DomainError
from marketplace.models import Event
from orders.models import Appeal, AppealAttachment, InspectionPhoto, JitOrder, Penalty
from orders.services.orders import (
    order_receive,
    order_ship,
    penalty_appeal,
)
from orders.services.sweep import sweep_jit_deadlines
from suppliers.models import LedgerEntry
from suppliers.selectors import supplier_balance
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

ORDERS = "/admin/orders/jitorder/"
PENALTIES = "/admin/orders/penalty/"
APPEALS = "/admin/orders/appeal/"
H = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def listing():
    return jit_listing()


@pytest.fixture
def member(listing):
    return MembershipFactory(supplier=listing.supplier, role="owner").user


def photo(name: str = "defect.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "gray").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), "image/jpeg")


def act(client, url, action, rows, **fields):
    response = client.post(
        url,
        {"action": action, "_selected_action": [row.pk for row in rows], **fields},
        follow=True,
    )
    assert response.redirect_chain, response.content.decode()[:500]
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def shipped(listing, member, **fields):
    order = jit_order(listing, **fields)
    return order_ship(order, waybill=f"SF{order.pk:012d}", actor=member)


def evidence_shown(page: str) -> dict[str, tuple[str, str]]:
    """The evidence table of a page: key -> (label, value)."""
    table = re.search(r'<table class="evidence" data-testid="evidence">.*?</table>', page, re.S)
    assert table, "no evidence table"
    rows = re.findall(
        r'<tr data-key="(\w+)"><th scope="row">([^<]*)</th><td>([^<]*)</td></tr>', table.group(0)
    )
    return {key: (html.unescape(label), html.unescape(value)) for key, label, value in rows}


# --- Orders ------------------------------------------------------------------------------------


def test_the_order_list_shows_filters_and_searches(client, operator, listing, member):
    waiting = jit_order(listing, external_id="SO-WAIT", ordered_at=timezone.now() - 23 * H)
    gone = shipped(listing, member, external_id="SO-GONE")
    client.force_login(operator)
    page = client.get(ORDERS).content.decode()
    assert listing.supplier.name_en in page
    assert listing.product.title_en in client.get(f"{ORDERS}{waiting.pk}/change/").content.decode()
    only_shipped = client.get(ORDERS, {"status__exact": "shipped"}).content.decode()
    assert f"/admin/orders/jitorder/{gone.pk}/change/" in only_shipped
    assert f"/admin/orders/jitorder/{waiting.pk}/change/" not in only_shipped
    due = client.get(ORDERS, {"due": "2h"}).content.decode()
    assert f"/admin/orders/jitorder/{waiting.pk}/change/" in due
    assert f"/admin/orders/jitorder/{gone.pk}/change/" not in due
    found = client.get(ORDERS, {"q": gone.waybill}).content.decode()
    assert f"/admin/orders/jitorder/{gone.pk}/change/" in found
    assert f"/admin/orders/jitorder/{waiting.pk}/change/" not in found
    by_external = client.get(ORDERS, {"q": "SO-WAIT"}).content.decode()
    assert f"/admin/orders/jitorder/{waiting.pk}/change/" in by_external


def appealed_penalties(listing, n: int) -> None:
    member = listing.supplier.memberships.get().user
    for k in range(n):
        jit_order(listing, external_id=f"SO-{k}", ordered_at=timezone.now() - 25 * H)
    sweep_jit_deadlines()
    for penalty in Penalty.objects.filter(status="assessed"):
        penalty_appeal(penalty, reason="not late", actor=member)


@pytest.mark.parametrize("url", [ORDERS, PENALTIES, APPEALS])
def test_the_lists_keep_a_constant_number_of_queries(
    client, operator, listing, member, url, django_assert_max_num_queries
):
    appealed_penalties(listing, 1)
    client.force_login(operator)
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    other = jit_listing()
    MembershipFactory(supplier=other.supplier, role="owner")
    appealed_penalties(listing, 4)
    appealed_penalties(other, 4)
    assert Appeal.objects.count() == 9
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def listed(page: str) -> list[int]:
    """The orders a list page shows, in its order."""
    return [int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', page)]


@pytest.mark.parametrize(
    "query",
    [{}, {"status__exact": "shipped"}, {"due": "overdue"}, {"o": "-ordered_at"}, {"q": "SO-1"}],
    ids=["all", "status", "due", "newest-first", "search"],
)
def test_every_page_of_the_order_list_is_the_plain_page_in_the_list_order(
    client, operator, listing, member, query, monkeypatch, django_assert_max_num_queries
):
    """Deep pages are read keys first; each shows exactly what an offset would, in the list's
    order (oldest first, then by id), with any filter, search or column order, in as many
    queries as the first page."""
    from orders.admin.jit import JitOrderAdmin

    monkeypatch.setattr(JitOrderAdmin, "list_per_page", 4)
    now = timezone.now()
    for n in range(19):
        # Pairs with the same time: the id decides between them.
        order = jit_order(listing, external_id=f"SO-{n}", ordered_at=now - (30 - n // 2) * H)
        if n % 3 == 0:
            order_ship(order, waybill=f"SF{order.pk:012d}", actor=member)
    expected = JitOrder.objects.order_by("ordered_at", "id")
    if query.get("status__exact"):
        expected = expected.filter(status="shipped")
    if query.get("due"):
        expected = expected.filter(status="awaiting_shipment", ordered_at__lte=now - 24 * H)
    if query.get("o"):  # the order column clicked to sort descending; then by id, descending
        query = {"o": f"-{JitOrderAdmin.list_display.index('deadline') + 1}"}
        expected = JitOrder.objects.order_by("-ordered_at", "-id")
    if query.get("q"):
        expected = expected.filter(external_id__icontains="SO-1")
    ids = list(expected.values_list("pk", flat=True))
    assert len(ids) > 4
    client.force_login(operator)
    with django_assert_max_num_queries(30) as first:
        assert listed(client.get(ORDERS, query).content.decode()) == ids[:4]
    pages = (len(ids) + 3) // 4
    for number in range(2, pages + 1):
        with django_assert_max_num_queries(len(first.captured_queries)):
            page = client.get(ORDERS, {**query, "p": number}).content.decode()
        assert listed(page) == ids[(number - 1) * 4 : number * 4]


def test_receive_counts_the_ordered_quantity_and_refuses_what_is_not_shipped(
    client, operator, listing, member
):
    order = shipped(listing, member, quantity=7)
    waiting = jit_order(listing, external_id="SO-WAIT")
    client.force_login(operator)
    messages = act(client, ORDERS, "receive", [order, waiting])
    order.refresh_from_db()
    waiting.refresh_from_db()
    assert (order.status, order.received_quantity) == ("received", 7)
    assert order.received_at is not None
    assert waiting.status == "awaiting_shipment"
    assert ("success", "1 order received.") in messages
    assert any(level == "error" and "cannot move from" in text for level, text in messages)
    assert Event.objects.filter(kind="order.received", actor=operator).count() == 1


def test_the_warehouse_enters_the_quantity_that_arrived(client, operator, listing, member):
    order = shipped(listing, member, quantity=7)
    client.force_login(operator)
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert 'data-testid="receive-form"' in page
    assert 'name="received_quantity"' in page
    assert 'value="7"' in page
    response = client.post(f"{ORDERS}{order.pk}/receive/", {"received_quantity": "5"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{ORDERS}{order.pk}/change/"
    order.refresh_from_db()
    assert (order.status, order.received_quantity) == ("received", 5)
    assert f"Order {order.pk} received: 5 of 7 units." in response.content.decode()
    assert Event.objects.filter(kind="order.received", actor=operator).count() == 1
    # Received now: the form is gone, the list shows the short count beside the order.
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert 'data-testid="receive-form"' not in page
    assert '7 <span class="quiet"' in client.get(ORDERS).content.decode()


@pytest.mark.parametrize("quantity", ["-1", "", "abc", "10001"])
def test_a_bad_received_quantity_is_a_form_error(client, operator, listing, member, quantity):
    order = shipped(listing, member, quantity=7)
    client.force_login(operator)
    response = client.post(f"{ORDERS}{order.pk}/receive/", {"received_quantity": quantity})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    order.refresh_from_db()
    assert (order.status, order.received_quantity) == ("shipped", None)


def test_receiving_an_order_not_shipped_shows_the_refusal(client, operator, listing):
    waiting = jit_order(listing, external_id="SO-WAIT")
    client.force_login(operator)
    page = client.get(f"{ORDERS}{waiting.pk}/change/").content.decode()
    assert 'data-testid="receive-form"' not in page
    response = client.post(f"{ORDERS}{waiting.pk}/receive/", {"received_quantity": "2"})
    assert response.status_code == 200
    assert "cannot move from" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "awaiting_shipment"


def test_order_receive_refuses_a_negative_count(listing, member, operator):
    order = shipped(listing, member, quantity=7)
    with pytest.raises(DomainError) as refused:
        order_receive(order, quantity=-1, actor=operator)
    assert refused.value.code == "invalid_quantity"
    assert "received_quantity" in refused.value.fields
    order.refresh_from_db()
    assert order.status == "shipped"


def test_only_staff_who_may_change_orders_receive(client, finance_user, listing, member):
    order = shipped(listing, member, quantity=7)
    client.force_login(finance_user)
    response = client.post(f"{ORDERS}{order.pk}/receive/", {"received_quantity": "7"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.status == "shipped"


def test_the_order_list_fits_its_columns_and_marks_the_overdue(client, operator, listing, member):
    late = jit_order(listing, external_id="SO-LATE", ordered_at=timezone.now() - 25 * H)
    jit_order(listing, external_id="SO-NEW", quantity=1000, ordered_at=timezone.now() - H)
    client.force_login(operator)
    page = client.get(ORDERS).content.decode()
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
    assert headers == [
        "id",
        "supplier_name",
        "status_shown",
        "deadline",
        "quantity_shown",
        "goods_value_shown",
        "penalty_total_shown",
    ]
    assert '<span class="money">20,000.00 CNY</span>' in page  # 1,000 x 20.00
    row = re.search(rf"jitorder/{late.pk}/change/.*?</tr>", page, re.S)
    assert row
    assert 'class="overdue"' in row.group(0)
    assert page.count('class="overdue"') == 1


def test_accept_at_inspection(client, operator, listing, member):
    order = shipped(listing, member)
    order_receive(order, quantity=order.quantity, actor=operator)
    client.force_login(operator)
    messages = act(client, ORDERS, "accept_inspection", [order])
    order.refresh_from_db()
    assert order.status == "accepted"
    assert order.inspected_at is not None
    assert ("success", "1 order accepted.") in messages
    assert Event.objects.filter(kind="order.accepted", actor=operator).exists()


def test_reject_for_quality_records_the_notes_and_the_photos(client, operator, listing, member):
    order = shipped(listing, member)
    order_receive(order, quantity=order.quantity, actor=operator)
    client.force_login(operator)
    change = f"{ORDERS}{order.pk}/change/"
    page = client.get(change).content.decode()
    assert 'data-testid="reject-quality-form"' in page
    assert 'name="_save"' not in page  # orders are never edited
    response = client.post(
        f"{ORDERS}{order.pk}/reject-quality/",
        {"defect_notes": "Seams open on 2 of 2 units", "photos": [photo("a.jpg"), photo("b.jpg")]},
    )
    assert response.status_code == 302
    assert response["Location"] == change
    order.refresh_from_db()
    assert order.status == "rejected_quality"
    assert order.defect_notes == "Seams open on 2 of 2 units"
    photos = list(InspectionPhoto.objects.filter(order=order))
    assert len(photos) == 2
    assert Event.objects.filter(kind="order.rejected_quality", actor=operator).exists()
    page = client.get(change).content.decode()
    assert 'data-testid="reject-quality-form"' not in page  # done: no form any more
    url = f"{ORDERS}{order.pk}/photos/{photos[0].pk}/"
    assert url in page
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/jpeg"


def test_a_rejection_needs_notes_and_real_pictures(client, operator, listing, member):
    order = shipped(listing, member)
    order_receive(order, quantity=order.quantity, actor=operator)
    client.force_login(operator)
    url = f"{ORDERS}{order.pk}/reject-quality/"
    no_notes = client.post(url, {"defect_notes": " ", "photos": [photo()]})
    assert no_notes.status_code == 200
    assert "This field is required." in no_notes.content.decode()
    fake = SimpleUploadedFile("fake.jpg", b"not a picture", "image/jpeg")
    not_a_picture = client.post(url, {"defect_notes": "dented", "photos": [fake]})
    assert "Upload a valid image." in not_a_picture.content.decode()
    order.refresh_from_db()
    assert order.status == "received"
    assert not InspectionPhoto.objects.exists()


def test_a_rejection_refused_by_the_service_stores_no_photo(client, operator, listing, member):
    order = shipped(listing, member)  # shipped, not yet received
    client.force_login(operator)
    response = client.post(
        f"{ORDERS}{order.pk}/reject-quality/", {"defect_notes": "dented", "photos": [photo()]}
    )
    assert response.status_code == 200
    assert "cannot move from Shipped to Rejected for quality" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "shipped"
    assert not InspectionPhoto.objects.exists()


def test_only_operators_reject(client, compliance_officer, finance_user, listing, member, operator):
    order = shipped(listing, member)
    order_receive(order, quantity=order.quantity, actor=operator)
    client.force_login(compliance_officer)
    page = client.get(f"{ORDERS}{order.pk}/change/")
    assert page.status_code == 200
    assert 'data-testid="reject-quality-form"' not in page.content.decode()
    response = client.post(f"{ORDERS}{order.pk}/reject-quality/", {"defect_notes": "x"})
    assert response.status_code == 403
    client.force_login(finance_user)
    assert client.get(ORDERS).status_code == 403
    order.refresh_from_db()
    assert order.status == "received"


def test_an_order_shows_its_penalties_with_their_evidence(client, operator, listing):
    order = jit_order(listing, ordered_at=timezone.now() - 25 * H)
    sweep_jit_deadlines()
    client.force_login(operator)
    page = client.get(f"{ORDERS}{order.pk}/change/").content.decode()
    assert "Late (24 h)" in page
    assert "jit-2026.1" in page
    penalty = Penalty.objects.get(order=order)
    assert f"/admin/orders/penalty/{penalty.pk}/change/" in page  # its evidence is there


# --- Penalties and appeals ---------------------------------------------------------------------


@pytest.fixture
def appeal(listing, member):
    order = jit_order(listing, ordered_at=timezone.now() - 25 * H, external_id="SO-APPEAL")
    sweep_jit_deadlines()
    penalty = Penalty.objects.get(order=order)
    appeal = penalty_appeal(penalty, reason="SF lost the first scan", actor=member)
    AppealAttachment.objects.create(
        appeal=appeal,
        file=SimpleUploadedFile("receipt.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"),
    )
    return appeal


def test_penalties_are_read_only_with_their_evidence(client, operator, appeal):
    penalty = appeal.penalty
    client.force_login(operator)
    listed = client.get(PENALTIES).content.decode()
    assert f"{ORDERS}{penalty.order_id}/change/" in listed
    page = client.get(f"{PENALTIES}{penalty.pk}/change/").content.decode()
    assert evidence_shown(page)["rule_version"] == ("Rule version", "jit-2026.1")
    assert evidence_shown(page)["goods_value"] == ("Goods value", "40.00 CNY")
    assert f"/admin/suppliers/ledgerentry/{penalty.ledger_entry_id}/change/" in page
    assert 'name="_save"' not in page
    assert client.post(f"{PENALTIES}{penalty.pk}/change/", {}).status_code == 403
    assert client.get(f"{PENALTIES}add/").status_code == 403


def test_the_evidence_is_a_table_in_the_operators_zone_and_language(client, operator, appeal):
    penalty = appeal.penalty
    with timezone.override("Asia/Shanghai"):
        china = timezone.localtime(penalty.order.ordered_at)
    client.force_login(operator)
    page = client.get(f"{PENALTIES}{penalty.pk}/change/").content.decode()
    assert "&quot;" not in page[page.index('data-testid="evidence"') :]  # no raw JSON
    shown = evidence_shown(page)
    assert shown["rule"] == ("Rule", "Late (24 h)")
    assert shown["ordered_at"] == ("Ordered", f"{china.day} {china:%b %Y, %H:%M} CST")
    assert shown["deadline_24h"][0] == "Deadline (24 h)"
    assert shown["deadline_24h"][1].endswith(" CST")
    assert shown["status"] == ("Order status then", "Awaiting shipment")
    assert shown["multiple"] == ("Multiple of goods value", "1\u00d7")
    assert shown["amount"] == ("Amount", "40.00 CNY")
    assert shown["first_scan_at"] == ("Carrier's first scan", "-")
    assert '<span class="money">40.00 CNY</span>' in page  # the penalty's amount field

    chinese = client.get(
        f"{PENALTIES}{penalty.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    shown = evidence_shown(chinese)
    assert shown["ordered_at"][1] == f"{china.year}年{china.month}月{china.day}日 {china:%H:%M} CST"
    assert shown["amount"][1] == "40.00 CNY"
    for key, (label, _value) in shown.items():
        assert re.search(r"[\u4e00-\u9fff]", label), f"{key}: {label!r} is not translated"

    appeal_page = client.get(f"{APPEALS}{appeal.pk}/change/").content.decode()
    assert evidence_shown(appeal_page)["amount"] == ("Amount", "40.00 CNY")


def test_waive_posts_a_penalty_reversal_and_says_why(client, operator, appeal):
    penalty = appeal.penalty
    supplier_id = penalty.supplier_id
    balance = supplier_balance(supplier_id)
    client.force_login(operator)
    messages = act(client, APPEALS, "waive", [appeal], reason="SF confirmed a depot outage")
    assert any(level == "success" and "1 penalty waived" in text for level, text in messages)
    appeal.refresh_from_db()
    penalty.refresh_from_db()
    assert (appeal.decision, appeal.decided_by) == ("waived", operator)
    assert appeal.decision_reason == "SF confirmed a depot outage"
    assert penalty.status == "waived"
    reversal = LedgerEntry.objects.get(kind="penalty_reversal", supplier_id=supplier_id)
    assert reversal.amount == Decimal("40.00")
    assert reversal.corrects_id == penalty.ledger_entry_id
    assert "SF confirmed a depot outage" in reversal.memo
    assert supplier_balance(supplier_id) == balance + Decimal("40.00")
    again = act(client, APPEALS, "waive", [appeal], reason="twice")
    assert any(level == "error" for level, _text in again)
    assert LedgerEntry.objects.filter(kind="penalty_reversal").count() == 1


def test_uphold_records_the_decision_and_takes_nothing_back(client, operator, appeal):
    client.force_login(operator)
    refused = act(client, APPEALS, "uphold", [appeal], reason="")
    assert any(level == "error" and "Say why." in text for level, text in refused)
    appeal.refresh_from_db()
    assert appeal.decision == ""
    act(client, APPEALS, "uphold", [appeal], reason="The scan was on time; pickup was late")
    appeal.refresh_from_db()
    assert (appeal.decision, appeal.decided_by) == ("upheld", operator)
    assert Penalty.objects.get(pk=appeal.penalty_id).status == "upheld"
    assert not LedgerEntry.objects.filter(kind="penalty_reversal").exists()


def test_appeal_page_lists_the_attachments_for_operators_only(
    client, operator, finance_user, appeal
):
    attachment = appeal.attachments.get()
    url = f"{APPEALS}{appeal.pk}/attachments/{attachment.pk}/"
    client.force_login(operator)
    page = client.get(f"{APPEALS}{appeal.pk}/change/").content.decode()
    assert "SF lost the first scan" in page
    assert url in page
    assert "receipt" in page
    assert 'name="_save"' not in page
    served = client.get(url)
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    client.force_login(finance_user)
    assert client.get(f"{APPEALS}{appeal.pk}/change/").status_code == 200
    assert client.get(url).status_code == 403
    assert client.get(f"{APPEALS}?pending=yes").status_code == 200


def test_finance_cannot_decide_appeals(client, finance_user, appeal):
    client.force_login(finance_user)
    response = client.post(
        APPEALS, {"action": "waive", "_selected_action": [appeal.pk], "reason": "x"}
    )
    assert response.status_code in (200, 302)  # an action it may not use is no action
    appeal.refresh_from_db()
    assert appeal.decision == ""


# --- The dashboard -----------------------------------------------------------------------------


def chart(page: str, testid: str) -> str:
    match = re.search(rf'<svg[^>]*data-testid="{testid}".*?</svg>', page, re.S)
    assert match, testid
    return match.group(0)


def test_the_dashboard_draws_the_last_30_days(client, operator, listing, member):
    now = timezone.now()
    three_days_ago = now - 72 * H
    # Due two days ago: one shipped in time, one 30 h late, one never shipped.
    jit_order(
        listing,
        ordered_at=three_days_ago,
        status="shipped",
        first_scan_at=three_days_ago + 2 * H,
    )
    jit_order(
        listing,
        ordered_at=three_days_ago,
        status="shipped",
        shipment_recorded_at=three_days_ago + 30 * H,
    )
    jit_order(listing, ordered_at=three_days_ago, status="cancelled")  # not counted
    jit_order(listing, ordered_at=now - 23 * H)  # due within the hour
    sweep_jit_deadlines()
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    on_time = chart(page, "on-time-chart")
    assert len(re.findall(r'<rect class="bar ', on_time)) == 30
    # The dashboard's days are the operator's, China time by default.
    with timezone.override("Asia/Shanghai"):
        deadline_day = timezone.localdate(three_days_ago + 24 * H).isoformat()
        today = timezone.localdate(now).isoformat()
    assert re.search(rf'data-day="{deadline_day}"><title>[^<]*: 50.0% \(1/2\)</title>', on_time), (
        on_time
    )
    penalties = chart(page, "penalties-chart")
    assert len(re.findall(r'<rect class="bar ', penalties)) == 30
    assert "<polyline" in penalties
    assert re.search(rf'data-day="{today}"><title>[^<]*: 1 penalties, 40.00 CNY<', penalties)
    assert re.search(r'data-figure="jit-due-soon">1<', page)
    late = page[page.index('data-testid="late-suppliers"') :]
    assert listing.supplier.name_en in late
    assert f'data-late="{listing.supplier_id}">1<' in late


def test_the_dashboard_keeps_a_constant_number_of_queries(
    client, operator, listing, django_assert_max_num_queries
):
    now = timezone.now()
    # One late order first: with any late supplier the list looks up their names.
    jit_order(listing, ordered_at=now - 30 * H, external_id="SO-FIRST")
    client.force_login(operator)
    with django_assert_max_num_queries(40) as few:
        assert client.get("/admin/").status_code == 200
    for days in range(0, 30, 3):
        other = jit_listing()
        jit_order(other, ordered_at=now - days * 24 * H - 26 * H)
        jit_order(listing, ordered_at=now - days * 24 * H - 2 * H)
        jit_order(listing, ordered_at=now - 23 * H)
    sweep_jit_deadlines()
    assert Penalty.objects.count() >= 10
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/admin/").status_code == 200
    assert JitOrder.objects.count() >= 30
    assert Appeal.objects.count() == 0
