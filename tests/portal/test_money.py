"""The deposit in the portal: dashboard figures, the ledger with its filters and CSV, withdrawal
requests (the owner's), and JIT enrolment."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from marketplace.models import Event
from suppliers.models import LedgerEntry, Supplier, WithdrawalRequest
from suppliers.services.jit import jit_apply
from suppliers.services.ledger import (
    ledger_adjust,
    ledger_penalty,
    ledger_top_up,
    withdrawal_reject,
    withdrawal_request,
)
from tests.factories.suppliers import (
    FactoryFactory,
    MembershipFactory,
    SupplierFactory,
    funded_supplier,
)

pytestmark = pytest.mark.django_db

CHINA = ZoneInfo("Asia/Shanghai")
LEDGER = reverse("portal:ledger")
LEDGER_CSV = reverse("portal:ledger_csv")
WITHDRAWALS = reverse("portal:withdrawals")
JIT = reverse("portal:jit")
JIT_APPLY = reverse("portal:jit_apply")


def owner_of(supplier: Supplier):
    return MembershipFactory(supplier=supplier, role="owner").user


def staff_of(supplier: Supplier):
    return MembershipFactory(supplier=supplier).user


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: Excel would garble Chinese"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def march_ledger(db):
    """Entries on known China-time days: 1 March 23:30 is still 1 March in China (15:30 UTC)."""
    supplier = SupplierFactory(name_en="Ledger Co")
    FactoryFactory(supplier=supplier)
    with time_machine.travel(datetime(2026, 3, 1, 9, 0, tzinfo=CHINA), tick=False):
        ledger_top_up(supplier, amount="8000.00", bank_reference="ICBC-0301", actor=None)
    with time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=CHINA), tick=False):
        ledger_penalty(supplier, amount="300.00", actor=None, reference=None, memo="Late JIT order")
    with time_machine.travel(datetime(2026, 3, 2, 0, 30, tzinfo=CHINA), tick=False):
        ledger_adjust(supplier, amount="-50.00", actor=None, memo='=HYPERLINK("x") fee')
    with time_machine.travel(datetime(2026, 3, 5, 10, 0, tzinfo=CHINA), tick=False):
        ledger_top_up(supplier, amount="1000.00", bank_reference="ICBC-0305", actor=None)
    return supplier


# --- Dashboard --------------------------------------------------------------------------------


def test_the_dashboard_shows_balance_jit_and_unread_notifications(client):
    supplier = funded_supplier("5200.00")
    owner = owner_of(supplier)
    jit_apply(supplier, actor=owner)
    ledger_penalty(supplier, amount="300.00", actor=None, reference=None, memo="Late")
    client.force_login(owner)
    response = client.get(reverse("portal:dashboard"))
    page = response.content.decode()
    assert response.context["balance"] == Decimal("4900.00")
    assert "4,900.00" in page
    assert "Paused" in page
    assert "below the JIT minimum" in page  # the reason
    unread = Event.objects.filter(supplier=supplier).count()
    assert response.context["unread"] == unread == 4
    assert 'data-testid="unread-badge"' in page


# --- Ledger -----------------------------------------------------------------------------------


def test_the_ledger_shows_balance_floor_and_entries_with_the_balance_after(client, march_ledger):
    client.force_login(staff_of(march_ledger))
    response = client.get(LEDGER)
    assert response.status_code == 200
    assert response.context["balance"] == Decimal("8650.00")
    assert response.context["floor"] == Decimal("0.00")
    rows = [(e.kind, e.amount, after) for e, after, _ref in response.context["rows"]]
    assert rows == [
        ("top_up", Decimal("1000.00"), Decimal("8650.00")),
        ("adjustment", Decimal("-50.00"), Decimal("7650.00")),
        ("penalty", Decimal("-300.00"), Decimal("7700.00")),
        ("top_up", Decimal("8000.00"), Decimal("8000.00")),
    ]
    page = response.content.decode()
    assert "ICBC-0301" in page
    assert "Late JIT order" in page
    assert "2026-03-01 23:30" in page  # China time


def test_the_jit_floor_is_the_minimum_while_enrolled(client):
    supplier = funded_supplier("6000.00")
    owner = owner_of(supplier)
    jit_apply(supplier, actor=owner)
    client.force_login(owner)
    assert client.get(LEDGER).context["floor"] == Decimal("5000.00")


def test_the_ledger_filters_by_kind(client, march_ledger):
    client.force_login(staff_of(march_ledger))
    response = client.get(LEDGER, {"kind": "top_up"})
    rows = [(e.kind, after) for e, after, _ref in response.context["rows"]]
    # The balance after an entry counts every kind, whatever the filter.
    assert rows == [("top_up", Decimal("8650.00")), ("top_up", Decimal("8000.00"))]


def test_the_ledger_filters_by_china_days(client, march_ledger):
    client.force_login(staff_of(march_ledger))
    response = client.get(LEDGER, {"date_from": "2026-03-01", "date_to": "2026-03-01"})
    assert [e.kind for e, _a, _r in response.context["rows"]] == ["penalty", "top_up"]
    response = client.get(LEDGER, {"date_from": "2026-03-02"})
    assert [e.kind for e, _a, _r in response.context["rows"]] == ["top_up", "adjustment"]
    response = client.get(LEDGER, {"date_from": "2026-03-03", "date_to": "2026-03-04"})
    assert response.context["rows"] == []
    assert "No entries match the filter." in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to"),
        ({"kind": "bonus"}, "kind"),
    ],
)
def test_bad_filters_are_form_errors_not_500s(client, march_ledger, query, field):
    client.force_login(staff_of(march_ledger))
    response = client.get(LEDGER, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert client.get(LEDGER_CSV, query).status_code == 200


def test_a_page_number_out_of_range_is_not_an_error(client, march_ledger):
    client.force_login(staff_of(march_ledger))
    assert client.get(LEDGER, {"page": "999"}).status_code == 200
    assert client.get(LEDGER, {"page": "x"}).status_code == 200


def test_the_ledger_queries_do_not_grow_with_entries(
    client, march_ledger, django_assert_max_num_queries
):
    client.force_login(staff_of(march_ledger))
    with django_assert_max_num_queries(20) as few:
        assert client.get(LEDGER).status_code == 200
    for n in range(60):
        ledger_top_up(march_ledger, amount="1.00", bank_reference=f"B{n}", actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LEDGER, {"page": "2"})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 14


def test_the_csv_has_the_filtered_entries_in_china_time_and_nothing_of_others(client, march_ledger):
    rival = funded_supplier("7777.00")
    ledger_penalty(rival, amount="12.34", actor=None, reference=None, memo="RIVAL-MEMO")
    client.force_login(staff_of(march_ledger))
    response = client.get(LEDGER_CSV)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    rows = csv_rows(response)
    assert rows[0] == [
        "posted_at",
        "kind",
        "amount",
        "balance_after",
        "description",
        "memo",
        "bank_reference",
        "reference",
    ]
    assert rows[1:] == [
        [
            "2026-03-01T09:00:00+08:00",
            "top_up",
            "8000.00",
            "8000.00",
            "Bank transfer ICBC-0301",
            "",
            "ICBC-0301",
            "",
        ],
        [
            "2026-03-01T23:30:00+08:00",
            "penalty",
            "-300.00",
            "7700.00",
            "Penalty",
            "Late JIT order",
            "",
            "",
        ],
        # A memo that a spreadsheet would run as a formula is defused.
        [
            "2026-03-02T00:30:00+08:00",
            "adjustment",
            "-50.00",
            "7650.00",
            "Adjustment",
            '\'=HYPERLINK("x") fee',
            "",
            "",
        ],
        [
            "2026-03-05T10:00:00+08:00",
            "top_up",
            "1000.00",
            "8650.00",
            "Bank transfer ICBC-0305",
            "",
            "ICBC-0305",
            "",
        ],
    ]
    body = "\n".join(",".join(row) for row in rows)
    assert "RIVAL" not in body
    assert "7777" not in body
    assert "12.34" not in body


def test_the_csv_follows_the_filter_and_is_also_at_format_csv(client, march_ledger):
    client.force_login(staff_of(march_ledger))
    query = {"kind": "top_up", "date_from": "2026-03-02"}
    rows = csv_rows(client.get(LEDGER_CSV, query))
    assert rows[1:] == [
        [
            "2026-03-05T10:00:00+08:00",
            "top_up",
            "1000.00",
            "8650.00",
            "Bank transfer ICBC-0305",
            "",
            "ICBC-0305",
            "",
        ],
    ]
    same = client.get(LEDGER, {**query, "format": "csv"})
    assert csv_rows(same) == rows
    assert (
        f'href="{LEDGER_CSV}?kind=top_up&amp;date_from=2026-03-02"'
        in client.get(LEDGER, query).content.decode()
    )


def test_the_csv_names_what_caused_an_entry(client):
    supplier = funded_supplier("9000.00")
    owner = owner_of(supplier)
    request = withdrawal_request(supplier, amount="100.00", bank_account="ICBC 1", actor=owner)
    from suppliers.services.ledger import withdrawal_approve

    withdrawal_approve(request, actor=owner)
    client.force_login(owner)
    rows = csv_rows(client.get(LEDGER_CSV, {"kind": "withdrawal"}))
    assert rows[1][1:4] == ["withdrawal", "-100.00", "8900.00"]
    assert rows[1][4] == f"Withdrawal request #{request.pk}, paid to ICBC 1"
    assert rows[1][7] == f"withdrawal request #{request.pk}"


def test_the_csv_streams(client, march_ledger):
    client.force_login(staff_of(march_ledger))
    response = client.get(LEDGER_CSV)
    assert response.streaming


# --- Withdrawals ------------------------------------------------------------------------------


def test_the_owner_requests_a_withdrawal(client):
    supplier = funded_supplier("3000.00")
    owner = owner_of(supplier)
    client.force_login(owner)
    assert 'data-testid="withdrawal-form"' in client.get(WITHDRAWALS).content.decode()
    response = client.post(WITHDRAWALS, {"amount": "1200.50", "bank_account": "ICBC 6222 0001"})
    assert response.status_code == 302
    request = WithdrawalRequest.objects.get(supplier=supplier)
    assert request.amount == Decimal("1200.50")
    assert request.requested_by == owner
    page = client.get(WITHDRAWALS).content.decode()
    assert "1200.50" in page
    assert "ICBC 6222 0001" in page
    assert "Requested" in page


def test_a_withdrawal_above_what_is_available_is_refused_on_the_amount(client):
    supplier = funded_supplier("6000.00")
    owner = owner_of(supplier)
    jit_apply(supplier, actor=owner)
    client.force_login(owner)
    response = client.post(WITHDRAWALS, {"amount": "1500.00", "bank_account": "ICBC 1"})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == ["At most 1000.00 CNY."]
    assert response.context["available"] == Decimal("1000.00")
    assert not WithdrawalRequest.objects.exists()


def test_a_withdrawal_with_three_decimals_is_refused_by_the_form(client):
    supplier = funded_supplier("3000.00")
    client.force_login(owner_of(supplier))
    response = client.post(WITHDRAWALS, {"amount": "10.005", "bank_account": "ICBC 1"})
    assert "amount" in response.context["form"].errors
    assert not WithdrawalRequest.objects.exists()


def test_staff_see_withdrawals_but_cannot_request_one(client):
    supplier = funded_supplier("3000.00")
    owner = owner_of(supplier)
    withdrawal_request(supplier, amount="10.00", bank_account="ICBC 1", actor=owner)
    client.force_login(staff_of(supplier))
    page = client.get(WITHDRAWALS).content.decode()
    assert 'data-testid="withdrawal-form"' not in page
    assert "ICBC 1" in page
    response = client.post(WITHDRAWALS, {"amount": "100.00", "bank_account": "Mine"})
    assert response.status_code == 403
    assert WithdrawalRequest.objects.count() == 1


def test_a_rejected_withdrawal_shows_its_reason(client, finance_user):
    supplier = funded_supplier("3000.00")
    owner = owner_of(supplier)
    request = withdrawal_request(supplier, amount="10.00", bank_account="ICBC 1", actor=owner)
    withdrawal_reject(request, actor=finance_user, reason="Account name does not match.")
    client.force_login(owner)
    page = client.get(WITHDRAWALS).content.decode()
    assert "Rejected" in page
    assert "Account name does not match." in page


def test_the_withdrawal_list_queries_do_not_grow(client, django_assert_max_num_queries):
    supplier = funded_supplier("90000.00")
    owner = owner_of(supplier)
    client.force_login(owner)
    withdrawal_request(supplier, amount="1.00", bank_account="ICBC 1", actor=owner)
    with django_assert_max_num_queries(20) as few:
        assert client.get(WITHDRAWALS).status_code == 200
    for n in range(10):
        # Requests by past owners (different requesters), written directly.
        other = MembershipFactory(supplier=supplier, user__username=f"staff{n}").user
        WithdrawalRequest.objects.create(
            supplier=supplier, amount="1.00", bank_account=f"ICBC {n}", requested_by=other
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(WITHDRAWALS).status_code == 200


# --- JIT --------------------------------------------------------------------------------------


def test_the_jit_page_says_which_conditions_are_met(client):
    supplier = funded_supplier("1000.00", status=Supplier.Status.ACTIVE)
    supplier.factories.update(province="Zhejiang")
    client.force_login(owner_of(supplier))
    response = client.get(JIT)
    assert response.status_code == 200
    met = {c.code: c.met for c in response.context["conditions"]}
    assert met == {"active": True, "pilot_province": False, "deposit": False}
    page = response.content.decode()
    assert 'data-condition="active"' in page
    assert page.count('class="unmet"') == 2
    assert "Not enrolled" in page
    assert 'data-testid="jit-apply"' in page


def test_the_owner_applies_for_jit(client):
    supplier = funded_supplier("5000.00")
    client.force_login(owner_of(supplier))
    response = client.post(JIT_APPLY, follow=True)
    assert response.redirect_chain[-1][0] == JIT
    supplier.refresh_from_db()
    assert supplier.jit_status == Supplier.JitStatus.ENROLLED
    page = response.content.decode()
    assert "You are enrolled in JIT." in page
    assert 'data-testid="jit-apply"' not in page
    assert "Enrolled: every condition met." in page


def test_a_refused_jit_application_says_which_conditions_fail(client):
    supplier = funded_supplier("4999.99")
    client.force_login(owner_of(supplier))
    response = client.post(JIT_APPLY, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not eligible for JIT" in page
    assert "at least 5,000.00 CNY (now: 4,999.99 CNY)" in page
    supplier.refresh_from_db()
    assert supplier.jit_status == Supplier.JitStatus.NOT_ENROLLED


def test_staff_cannot_apply_for_jit(client):
    supplier = funded_supplier("9000.00")
    client.force_login(staff_of(supplier))
    assert 'data-testid="jit-apply"' not in client.get(JIT).content.decode()
    assert client.post(JIT_APPLY).status_code == 403
    supplier.refresh_from_db()
    assert supplier.jit_status == Supplier.JitStatus.NOT_ENROLLED


def test_jit_apply_needs_post(client):
    supplier = funded_supplier("9000.00")
    client.force_login(owner_of(supplier))
    assert client.get(JIT_APPLY).status_code == 405


def test_a_paused_supplier_sees_why(client):
    supplier = funded_supplier("5000.00")
    owner = owner_of(supplier)
    jit_apply(supplier, actor=owner)
    ledger_penalty(supplier, amount="0.01", actor=None, reference=None, memo="Late")
    client.force_login(owner)
    page = client.get(JIT).content.decode()
    assert "Paused" in page
    assert (
        "JIT is paused: the deposit, 4,999.99 CNY, is below the JIT minimum of 5,000.00 CNY."
        in page
    )
    supplier.refresh_from_db()
    assert supplier.jit_status_reason == "deposit_below_minimum"  # a code, worded when read
    assert LedgerEntry.objects.filter(supplier=supplier).count() == 2


def test_ledger_entries_are_described_from_their_kind_and_reference_in_both_languages(
    client, finance_user
):
    from suppliers.services.ledger import withdrawal_approve

    supplier = funded_supplier("9000.00")
    owner = owner_of(supplier)
    request = withdrawal_request(supplier, amount="100.00", bank_account="ICBC 6222", actor=owner)
    withdrawal_approve(request, actor=finance_user)
    ledger_adjust(supplier, amount="-5.00", actor=finance_user, memo="Transfer fee")
    # Nothing is stored in English where the description can be made from the entry itself.
    assert list(
        LedgerEntry.objects.filter(
            supplier=supplier, kind__in=["top_up", "withdrawal"]
        ).values_list("memo", flat=True)
    ) == ["", ""]
    client.force_login(owner)
    english = {
        e.kind: (text.description, text.memo)
        for e, _after, text in client.get(LEDGER).context["rows"]
    }
    assert english == {
        "top_up": (f"Bank transfer BANK-{supplier.pk}", ""),
        "withdrawal": (f"Withdrawal request #{request.pk}, paid to ICBC 6222", ""),
        "adjustment": ("Adjustment", "Transfer fee"),  # what finance typed, as typed
    }
    client.cookies["django_language"] = "zh-hans"
    page = client.get(LEDGER).content.decode()
    assert f"银行转账 BANK-{supplier.pk}" in page
    assert f"提现申请 #{request.pk}，付至 ICBC 6222" in page  # noqa: RUF001
    assert "Transfer fee" in page
    assert "Bank transfer" not in page
