"""JIT orders in the portal: the to-ship queue and its countdowns, shipping many at once, the
packing list, all orders and their timeline, the stockout declaration, penalties with their
evidence (China time) and appeals with attachments. Isolation: test_orders_isolation.py."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from marketplace.models import Event
from orders.models import Appeal, AppealAttachment, JitOrder, Penalty
from orders.services.orders import order_inspect, order_receive, order_ship
from orders.services.sweep import sweep_jit_deadlines
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
# 2026-03-10 02:00 UTC is 10:00 in China.
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def listing():
    return jit_listing()


@pytest.fixture
def member(listing):
    return MembershipFactory(
        supplier=listing.supplier, role="owner", user__username="jitowner"
    ).user


@pytest.fixture
def signed_in(client, member):
    client.force_login(member)
    return client


def pdf(name: str = "receipt.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n", "application/pdf")


def image(name: str, kind: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, kind)
    return SimpleUploadedFile(name, out.getvalue(), f"image/{kind.lower()}")


def png(name: str = "parcel.png") -> SimpleUploadedFile:
    return image(name, "PNG")


def jpeg(name: str = "label.jpg") -> SimpleUploadedFile:
    return image(name, "JPEG")


def rows_of(page: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<tr class="[^"]*" data-order="(\d+)"', page)]


# --- To ship -----------------------------------------------------------------------------------


def test_to_ship_lists_awaiting_orders_by_deadline_with_countdowns(signed_in, listing):
    with time_machine.travel(NOW, tick=False):
        fresh = jit_order(listing, ordered_at=NOW - 1 * H, external_id="SO-FRESH")
        late = jit_order(listing, ordered_at=NOW - 25 * H, external_id="SO-LATE")
        risky = jit_order(listing, ordered_at=NOW - 19 * H, external_id="SO-RISKY")
        jit_order(listing, ordered_at=NOW - 2 * H, status="shipped", external_id="SO-GONE")
        page = signed_in.get(reverse("portal:orders_to_ship")).content.decode()
    assert rows_of(page) == [late.pk, risky.pk, fresh.pk]
    assert "SO-GONE" not in page
    marks = {
        int(pk): mark for mark, pk in re.findall(r'<tr class="([^"]*)" data-order="(\d+)"', page)
    }
    assert marks == {late.pk: "row-late", risky.pk: "row-risk", fresh.pk: ""}
    # The deadlines in China time, and the time left at loading, for the script to tick on.
    assert 'data-deadline="2026-03-11T09:00:00+08:00"' in page  # fresh: ordered 09:00 China
    assert 'data-deadline="2026-03-12T09:00:00+08:00"' in page  # its 48 h
    assert ">23:00:00<" in page  # fresh, 24 h
    assert ">05:00:00<" in page  # risky, 24 h
    assert ">late by 01:00:00<" in page  # late, 24 h
    assert ">1 d 23:00:00<" in page  # fresh, 48 h
    assert "2026-03-11 09:00" in page
    assert 'data-testid="carrier">SF Express' in page
    assert 'data-testid="warehouse">Zhaoqing JIT warehouse' in page


def test_the_countdown_script_ticks_from_data_deadline():
    script = (ROOT / "static" / "portal" / "portal.js").read_text()
    assert "[data-deadline]" in script
    assert "setInterval(tick, 1000)" in script


def ship(client, orders_and_waybills):
    data: dict[str, object] = {"ids": [order.pk for order, _w in orders_and_waybills]}
    data.update({f"waybill_{order.pk}": waybill for order, waybill in orders_and_waybills})
    return client.post(reverse("portal:orders_to_ship"), data)


def test_ship_many_ships_each_order_with_its_waybill(signed_in, listing, member):
    first, second = jit_order(listing), jit_order(listing, external_id="SO-2")
    response = ship(signed_in, [(first, "SF123456789012"), (second, "sf1234567890123")])
    assert response.status_code == 302
    assert response["Location"] == (
        reverse("portal:orders_to_ship") + f"?shipped={first.pk},{second.pk}"
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.waybill) == ("shipped", "SF123456789012")
    assert (second.status, second.waybill) == ("shipped", "SF1234567890123")
    assert first.shipment_recorded_at is not None
    assert Event.objects.filter(kind="order.shipped", actor=member).count() == 2
    page = signed_in.get(response["Location"]).content.decode()
    assert "2 orders shipped by SF Express to Zhaoqing JIT warehouse." in page
    packing = reverse("portal:orders_packing_list") + f"?ids={first.pk},{second.pk}"
    assert packing in page


def test_one_wrong_waybill_ships_nothing_and_names_it(signed_in, listing):
    good, bad = jit_order(listing), jit_order(listing, external_id="SO-2")
    response = ship(signed_in, [(good, "SF123456789012"), (bad, "SF12-OOPS")])
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-field="waybill_{bad.pk}"' in page
    # Said once, beside the waybill; the box at the top links to it (not a flash, not a copy).
    assert page.count("Not an SF Express waybill: SF12-OOPS") == 1
    assert f'<a href="#waybill_{bad.pk}">Order {bad.pk}</a>' in page
    assert "Nothing was shipped: correct the waybills below." in page
    assert 'value="SF123456789012"' in page  # what was typed stays
    assert set(JitOrder.objects.values_list("status", flat=True)) == {"awaiting_shipment"}
    assert not Event.objects.filter(kind="order.shipped").exists()


def test_a_missing_or_repeated_waybill_ships_nothing(signed_in, listing):
    one, two, three = (jit_order(listing, external_id=f"SO-{n}") for n in range(3))
    page = ship(signed_in, [(one, "SF123456789012"), (two, ""), (three, "sf123456789012")])
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count("Enter the SF Express waybill of this parcel.") == 1
    assert text.count(f"sf123456789012 is already the waybill of order {one.pk}.") == 1
    assert set(JitOrder.objects.values_list("status", flat=True)) == {"awaiting_shipment"}


def test_shipping_with_nothing_ticked_or_twice_changes_nothing(signed_in, listing, member):
    order = jit_order(listing)
    response = signed_in.post(reverse("portal:orders_to_ship"), {"waybill_1": "SF123456789012"})
    assert "Tick the orders to ship." in response.content.decode()
    order_ship(order, waybill="SF123456789012", actor=member)
    ship(signed_in, [(order, "SF999999999999")])  # a colleague's second click
    order.refresh_from_db()
    assert order.waybill == "SF123456789012"


def test_packing_list_prints_the_chosen_orders(signed_in, listing):
    with time_machine.travel(NOW, tick=False):
        first = jit_order(listing, external_id="SO-A", quantity=3)
        second = jit_order(listing, external_id="SO-B", quantity=4)
        jit_order(listing, external_id="SO-NOT-CHOSEN")
        url = reverse("portal:orders_packing_list")
        page = signed_in.get(url, {"ids": f"{second.pk},{first.pk}"}).content.decode()
        repeated = signed_in.get(url, {"ids": [first.pk, second.pk]})
    assert repeated.status_code == 200
    assert page.index("SO-B") < page.index("SO-A")  # in the order asked
    assert "SO-NOT-CHOSEN" not in page
    assert listing.product.title_en in page
    assert "Zhaoqing JIT warehouse" in page
    assert "SF Express" in page
    assert "2026-03-11 10:00" in page  # ship by, China time
    assert '<th class="num">7</th>' in page  # units
    assert "data-print" in page
    css = (ROOT / "static" / "portal" / "portal.css").read_text()
    assert "@media print" in css


def test_packing_list_without_ids_goes_back_to_the_queue(signed_in):
    response = signed_in.get(reverse("portal:orders_packing_list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:orders_to_ship")
    assert signed_in.get(reverse("portal:orders_packing_list"), {"ids": "x"}).status_code == 404


# --- All orders and one order ------------------------------------------------------------------


def test_orders_filter_by_status_and_china_date_and_paginate(signed_in, listing, member):
    # 2026-03-09 23:30 UTC is 2026-03-10 07:30 in China: the 10th for the supplier.
    late_evening = jit_order(listing, ordered_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
    earlier = jit_order(listing, ordered_at=datetime(2026, 3, 9, 10, 0, tzinfo=UTC))
    order_ship(earlier, waybill="SF123456789012", actor=member)
    url = reverse("portal:orders")
    on_the_10th = signed_in.get(url, {"date_from": "2026-03-10", "date_to": "2026-03-10"})
    text = on_the_10th.content.decode()
    assert f"#{late_evening.pk}<" in text
    assert f"#{earlier.pk}<" not in text
    shipped = signed_in.get(url, {"status": "shipped"}).content.decode()
    assert f"#{earlier.pk}<" in shipped
    assert f"#{late_evening.pk}<" not in shipped
    bad = signed_in.get(url, {"date_from": "2026-03-11", "date_to": "2026-03-10"})
    assert "The end date is before the start date." in bad.content.decode()
    for n in range(26):
        jit_order(listing, external_id=f"SO-P{n}")
    first_page = signed_in.get(url).content.decode()
    assert "Page 1 of 2" in first_page
    assert signed_in.get(url, {"page": 2}).status_code == 200


def test_order_detail_shows_the_timeline_defects_and_penalties(
    signed_in, listing, member, operator
):
    ordered = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 09:00 China
    order = jit_order(listing, ordered_at=ordered)
    with time_machine.travel(ordered + 2 * H, tick=False):
        order_ship(order, waybill="SF123456789012", actor=member)
    with time_machine.travel(ordered + 30 * H, tick=False):
        order_receive(order, quantity=2, actor=operator)
        order_inspect(order, accept=False, actor=operator, defect_notes="Paint peeling on 2 units")
        sweep_jit_deadlines()
    penalty = Penalty.objects.get(order=order)
    page = signed_in.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    assert 'data-testid="order-status">Rejected for quality' in page
    timeline = page[page.index('data-testid="timeline"') :]
    assert "2026-03-10 09:00:00" in timeline  # ordered, China time
    assert "2026-03-10 11:00:00" in timeline  # shipped
    assert "Waybill SF123456789012" in timeline
    assert "2026-03-11 15:00:00" in timeline  # received and inspected
    assert "2 units counted" in timeline
    assert "not yet" in timeline  # no carrier scan
    assert "Paint peeling on 2 units" in page
    assert reverse("portal:penalty_detail", args=[penalty.pk]) in page
    assert "stockout-form" not in page  # only while awaiting shipment


def test_declare_a_stockout_with_a_reason(signed_in, listing, member):
    order = jit_order(listing)
    url = reverse("portal:order_stockout", args=[order.pk])
    assert (
        'data-testid="stockout-form"'
        in signed_in.get(reverse("portal:order_detail", args=[order.pk])).content.decode()
    )
    empty = signed_in.post(url, {"reason": "  "})
    assert empty.status_code == 200
    assert 'data-field="reason"' in empty.content.decode()
    order.refresh_from_db()
    assert order.status == "awaiting_shipment"
    response = signed_in.post(url, {"reason": "Mould broke; no stock until April"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "failed_stockout"
    assert order.stockout_reason == "Mould broke; no stock until April"
    assert Event.objects.filter(kind="order.failed_stockout", actor=member).exists()
    signed_in.post(url, {"reason": "again"})  # a second click changes nothing
    order.refresh_from_db()
    assert order.stockout_reason == "Mould broke; no stock until April"


def test_a_stockout_of_a_shipped_order_is_refused(signed_in, listing, member):
    order = jit_order(listing)
    order_ship(order, waybill="SF123456789012", actor=member)
    response = signed_in.post(reverse("portal:order_stockout", args=[order.pk]), {"reason": "gone"})
    assert response.status_code == 200
    assert (
        "This JIT order cannot move from Shipped to Failed: stockout." in response.content.decode()
    )
    order.refresh_from_db()
    assert order.status == "shipped"


# --- Penalties and appeals ---------------------------------------------------------------------


@pytest.fixture
def penalty(listing):
    """A late penalty assessed at NOW: ordered 25 h before (2026-03-09 09:00 China); the test
    runs an hour later."""
    order = jit_order(listing, ordered_at=NOW - 25 * H, external_id="SO-PEN")
    with time_machine.travel(NOW, tick=False):
        sweep_jit_deadlines()
    with time_machine.travel(NOW + H, tick=False):
        yield Penalty.objects.get(order=order, tier="late_24h")


def test_penalties_list_and_detail_show_the_rule_the_evidence_and_the_ledger(signed_in, penalty):
    listed = signed_in.get(reverse("portal:penalties")).content.decode()
    page = signed_in.get(reverse("portal:penalty_detail", args=[penalty.pk])).content.decode()
    assert reverse("portal:penalty_detail", args=[penalty.pk]) in listed
    assert "2026-03-17 10:00" in listed  # appeal by: 7 days after, China time
    # The tier by its name, and what happened: the order was still unshipped when judged.
    assert 'data-testid="penalty-rule">Late (24 h)' in page
    assert 'data-testid="penalty-case">Not shipped within 24 h of the order' in page
    assert "Not shipped within 24 h of the order" in listed
    assert ">late_24h<" not in page
    assert 'data-testid="rule-version">jit-2026.1' in page
    assert 'data-testid="penalty-amount">40.00 CNY' in page
    assert "1.00 \N{MULTIPLICATION SIGN} 40.00 CNY" in page
    evidence = page[page.index('data-testid="evidence"') :]
    assert re.search(r'data-key="ordered_at">.*?2026-03-09 09:00:00', evidence, re.S)
    assert re.search(r'data-key="deadline_24h">.*?2026-03-10 09:00:00', evidence, re.S)
    assert re.search(r'data-key="deadline_48h">.*?2026-03-11 09:00:00', evidence, re.S)
    assert re.search(r'data-key="assessed_at">.*?2026-03-10 10:00:00', evidence, re.S)
    assert re.search(r'data-key="status">.*?Awaiting shipment', evidence, re.S)
    ledger = page[page.index('data-testid="penalty-ledger"') :]
    assert "-40.00" in ledger
    assert (
        f"Penalty Late (24 h) on order #{penalty.order_id}: Not shipped within 24 h of the order"
        in ledger
    )
    assert "jit-2026.1)" not in ledger  # no memo written by the sweep
    assert 'data-testid="appeal-form"' in page


def attachments_post(reason: str, *files: SimpleUploadedFile) -> dict[str, object]:
    return {"reason": reason, "attachments": list(files)}


def test_appeal_within_the_window_with_attachments(signed_in, penalty, member):
    url = reverse("portal:penalty_detail", args=[penalty.pk])
    with time_machine.travel(NOW + 6 * 24 * H, tick=False):
        response = signed_in.post(
            url, attachments_post("SF picked up late: see receipt", pdf(), png(), jpeg())
        )
    assert response.status_code == 302
    appeal = Appeal.objects.get(penalty=penalty)
    assert appeal.submitted_by == member
    assert appeal.reason == "SF picked up late: see receipt"
    assert sorted(Path(a.file.name).suffix for a in appeal.attachments.all()) == [
        ".jpg",
        ".pdf",
        ".png",
    ]
    penalty.refresh_from_db()
    assert penalty.status == "appealed"
    page = signed_in.get(url).content.decode()
    assert "SF picked up late: see receipt" in page
    assert "Waiting for the marketplace" in page
    assert 'data-testid="appeal-form"' not in page
    attachment = appeal.attachments.get(file__endswith=".pdf")
    download = signed_in.get(reverse("portal:penalty_attachment", args=[penalty.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")


def test_appeal_after_the_window_is_refused(signed_in, penalty):
    url = reverse("portal:penalty_detail", args=[penalty.pk])
    with time_machine.travel(NOW + 7 * 24 * H + timedelta(minutes=1)):
        page = signed_in.get(url).content.decode()
        response = signed_in.post(url, attachments_post("too late", pdf()))
    assert 'data-testid="appeal-form"' not in page
    assert "The appeal window closed on 2026-03-17 10:00" in page
    assert response.status_code == 200
    assert "Penalties can be appealed within 7 days." in response.content.decode()
    assert not Appeal.objects.exists()
    assert not AppealAttachment.objects.exists()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile("receipt.pdf", b"just text", "application/pdf"),
            "receipt.pdf is not a PDF, JPEG or PNG file.",
        ),
        (
            lambda: SimpleUploadedFile("photo.png", pdf().read(), "image/png"),
            "photo.png is not a PDF, JPEG or PNG file.",
        ),
        (
            lambda: SimpleUploadedFile("run.exe", b"MZ\x90\x00", "application/octet-stream"),
            "run.exe is not a PDF, JPEG or PNG file.",
        ),
        (
            lambda: SimpleUploadedFile(
                "huge.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "application/pdf"
            ),
            "huge.pdf is 5.0\xa0MB; each file may be at most 5.0\xa0MB.",
        ),
    ],
)
def test_attachments_are_checked_by_content_and_size(signed_in, penalty, upload, message):
    response = signed_in.post(
        reverse("portal:penalty_detail", args=[penalty.pk]), attachments_post("why", upload())
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appeal.objects.exists()
    penalty.refresh_from_db()
    assert penalty.status == "assessed"


def test_at_most_five_attachments(signed_in, penalty):
    files = [pdf(f"page{n}.pdf") for n in range(6)]
    response = signed_in.post(
        reverse("portal:penalty_detail", args=[penalty.pk]), attachments_post("why", *files)
    )
    assert "Attach at most 5 files; you chose 6." in response.content.decode()
    assert not Appeal.objects.exists()


def test_an_appeal_needs_a_reason(signed_in, penalty):
    response = signed_in.post(
        reverse("portal:penalty_detail", args=[penalty.pk]), attachments_post("", pdf())
    )
    assert 'data-field="reason"' in response.content.decode()
    assert not Appeal.objects.exists()


def test_the_decision_and_the_reversal_show_to_the_supplier(signed_in, penalty, member, operator):
    from orders.services.orders import appeal_decide, penalty_appeal

    appeal = penalty_appeal(penalty, reason="carrier strike", actor=member)
    appeal_decide(appeal, waive=True, reason="SF confirmed the strike", actor=operator)
    page = signed_in.get(reverse("portal:penalty_detail", args=[penalty.pk])).content.decode()
    assert 'data-testid="penalty-status">Waived' in page
    assert "SF confirmed the strike" in page
    reversal = page[page.index('data-testid="reversal"') :]
    assert "Penalty reversal" in reversal
    assert "40.00" in reversal


# --- Query counts ------------------------------------------------------------------------------


def test_list_pages_keep_a_constant_number_of_queries(
    signed_in, listing, django_assert_max_num_queries
):
    def fill(n: int) -> None:
        for k in range(n):
            jit_order(listing, ordered_at=NOW - (30 + k) * H, external_id=f"SO-Q{k}")
            jit_order(listing, external_id=f"SO-F{k}")
        sweep_jit_deadlines()

    urls = [
        reverse("portal:orders_to_ship"),
        reverse("portal:orders"),
        reverse("portal:penalties"),
    ]
    fill(1)
    ids = ",".join(str(pk) for pk in JitOrder.objects.values_list("pk", flat=True))
    counts = {}
    for url in [*urls, reverse("portal:orders_packing_list") + f"?ids={ids}"]:
        with django_assert_max_num_queries(20) as few:
            assert signed_in.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    fill(8)
    ids = ",".join(str(pk) for pk in JitOrder.objects.values_list("pk", flat=True))
    for url in [*urls, reverse("portal:orders_packing_list") + f"?ids={ids}"]:
        key = url if "packing" not in url else next(u for u in counts if "packing" in u)
        with django_assert_max_num_queries(counts[key]):
            assert signed_in.get(url).status_code == 200
    assert Penalty.objects.count() >= 9
