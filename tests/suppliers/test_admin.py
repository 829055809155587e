"""The supplier screens of the admin: every state change goes through an action or the ledger's
add form, which call the services; refusals are messages or form errors, never a 500."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from marketplace.models import Event
from suppliers.models import LedgerEntry, Membership, WithdrawalRequest
from suppliers.services.ledger import ledger_penalty, withdrawal_request
from tests.factories.accounts import UserFactory, api_client
from tests.factories.suppliers import (
    FactoryFactory,
    MembershipFactory,
    SupplierFactory,
    funded_supplier,
)

pytestmark = pytest.mark.django_db

SUPPLIERS = "/admin/suppliers/supplier/"
LEDGER = "/admin/suppliers/ledgerentry/"
WITHDRAWALS = "/admin/suppliers/withdrawalrequest/"


def act(client, url, action, rows, reason=""):
    response = client.post(
        url,
        {"action": action, "_selected_action": [row.pk for row in rows], "reason": reason},
        follow=True,
    )
    assert response.redirect_chain, response.content.decode()[:500]
    # Rendered (and so used up) by the list the action redirects to.
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def status_events(supplier):
    return list(
        Event.objects.filter(supplier=supplier, kind="supplier.status_changed").order_by("id")
    )


# --- Supplier actions ---------------------------------------------------------------------


def test_approve_moves_applications_to_onboarding_and_records_the_actor(client, operator):
    applied = SupplierFactory.create_batch(2, status="applied")
    client.force_login(operator)
    notes = act(client, SUPPLIERS, "approve", applied, reason="Licence checked")
    assert notes == [("success", "2 applications approved: onboarding.")]
    for supplier in applied:
        supplier.refresh_from_db()
        assert supplier.status == "onboarding"
        [event] = status_events(supplier)
        assert event.actor == operator
        assert event.reason == "Licence checked"
        assert event.payload == {"from": "applied", "to": "onboarding"}


def test_an_illegal_move_is_refused_per_supplier_and_the_others_go_on(client, operator):
    applied = SupplierFactory(status="applied", name_en="Waiting Co")
    active = SupplierFactory(status="active", name_en="Busy Co")
    client.force_login(operator)
    notes = act(client, SUPPLIERS, "approve", [applied, active])
    assert ("success", "1 application approved: onboarding.") in notes
    [error] = [text for level, text in notes if level == "error"]
    assert error.startswith("Busy Co")
    assert "cannot move from Active to Onboarding" in error
    active.refresh_from_db()
    assert active.status == "active"
    assert status_events(active) == []


def test_request_changes_takes_the_reason_as_the_comment(client, operator):
    supplier = SupplierFactory(status="applied")
    client.force_login(operator)
    notes = act(client, SUPPLIERS, "request_changes", [supplier], reason="Upload a clear licence")
    assert notes == [("success", "1 applicant asked for changes.")]
    supplier.refresh_from_db()
    assert supplier.changes_requested
    assert supplier.review_comment == "Upload a clear licence"
    event = Event.objects.get(supplier=supplier, kind="supplier.changes_requested")
    assert (event.actor, event.reason) == (operator, "Upload a clear licence")


def test_request_changes_without_a_comment_changes_nothing(client, operator):
    supplier = SupplierFactory(status="applied")
    client.force_login(operator)
    [(level, text)] = act(client, SUPPLIERS, "request_changes", [supplier])
    assert level == "error"
    assert "Tell the applicant what to change." in text
    supplier.refresh_from_db()
    assert not supplier.changes_requested


@pytest.mark.parametrize(
    ("action", "start", "target"),
    [("reject", "applied", "terminated"), ("suspend", "active", "suspended")],
)
def test_reject_and_suspend_need_a_reason(client, operator, action, start, target):
    supplier = SupplierFactory(status=start)
    client.force_login(operator)
    [(level, text)] = act(client, SUPPLIERS, action, [supplier])
    assert level == "error"
    assert "Say why the supplier is" in text
    supplier.refresh_from_db()
    assert supplier.status == start
    assert status_events(supplier) == []

    notes = act(client, SUPPLIERS, action, [supplier], reason="Fake licence")
    assert notes[0][0] == "success"
    supplier.refresh_from_db()
    assert supplier.status == target
    [event] = status_events(supplier)
    assert (event.actor, event.reason) == (operator, "Fake licence")


def test_reject_refuses_a_supplier_that_is_not_an_application(client, operator):
    supplier = SupplierFactory(status="active")
    client.force_login(operator)
    [(level, text)] = act(client, SUPPLIERS, "reject", [supplier], reason="No")
    assert level == "error"
    assert "applies only to a supplier that is applied" in text
    supplier.refresh_from_db()
    assert supplier.status == "active"


def test_activate_suspend_reinstate_terminate_walk_the_state_machine(client, operator):
    supplier = SupplierFactory(status="onboarding")
    client.force_login(operator)
    assert act(client, SUPPLIERS, "activate", [supplier])[0][0] == "success"
    assert act(client, SUPPLIERS, "suspend", [supplier], reason="Late shipments")[0][0] == "success"
    assert act(client, SUPPLIERS, "reinstate", [supplier], reason="Fixed")[0][0] == "success"
    assert act(client, SUPPLIERS, "terminate", [supplier], reason="Fraud")[0][0] == "success"
    supplier.refresh_from_db()
    assert supplier.status == "terminated"
    moves = [(e.payload["to"], e.reason, e.actor) for e in status_events(supplier)]
    assert moves == [
        ("active", "", operator),
        ("suspended", "Late shipments", operator),
        ("active", "Fixed", operator),
        ("terminated", "Fraud", operator),
    ]


def test_reinstate_refuses_a_supplier_that_is_not_suspended(client, operator):
    supplier = SupplierFactory(status="onboarding")
    client.force_login(operator)
    [(level, text)] = act(client, SUPPLIERS, "reinstate", [supplier])
    assert level == "error"
    assert text.split(": ", 1)[1] == (
        "This applies only to a supplier that is suspended; this one is onboarding."
    )
    supplier.refresh_from_db()
    assert supplier.status == "onboarding"


@pytest.mark.parametrize("role", ["compliance_officer", "finance_user"])
def test_only_operators_have_the_supplier_actions(client, request, role):
    supplier = SupplierFactory(status="applied")
    client.force_login(request.getfixturevalue(role))
    page = client.get(SUPPLIERS).content.decode()
    assert 'value="approve"' not in page
    client.post(SUPPLIERS, {"action": "approve", "_selected_action": [supplier.pk]})
    supplier.refresh_from_db()
    assert supplier.status == "applied"


def test_the_action_bar_has_a_reason_field(client, operator):
    SupplierFactory()
    client.force_login(operator)
    page = client.get(SUPPLIERS).content.decode()
    assert 'name="reason"' in page
    for action in ("approve", "request_changes", "reject", "activate", "suspend", "reinstate"):
        assert f'value="{action}"' in page


# --- The supplier list and change page ------------------------------------------------------


def balances_shown(page: str) -> dict[str, str]:
    rows = re.findall(
        r'<th class="field-names">.*?>([^<]+)<br>.*?field-balance"><span class="money">([^<]+)<',
        page,
    )
    return dict(rows)


def test_the_balance_column_sums_the_ledger(client, operator):
    funded_supplier("12500.50", name_en="Rich Co")
    SupplierFactory(name_en="Poor Co")
    client.force_login(operator)
    page = client.get(SUPPLIERS).content.decode()
    assert balances_shown(page) == {"Poor Co": "0.00 CNY", "Rich Co": "12,500.50 CNY"}


def test_the_balance_column_sorts(client, operator):
    funded_supplier("300.00", name_en="B")
    funded_supplier("100.00", name_en="A")
    funded_supplier("200.00", name_en="C")
    client.force_login(operator)
    # "balance" is the 4th column (after the checkbox column, so o=4).
    page = client.get(SUPPLIERS, {"o": "4"}).content.decode()
    assert list(balances_shown(page)) == ["A", "C", "B"]


def test_the_supplier_list_queries_stay_constant_as_suppliers_and_entries_grow(
    client, operator, django_assert_max_num_queries
):
    funded_supplier("100.00")
    client.force_login(operator)
    with django_assert_max_num_queries(30) as few:
        assert client.get(SUPPLIERS).status_code == 200
    for n in range(15):
        supplier = funded_supplier(f"{n + 1}00.00")
        FactoryFactory(supplier=supplier, province="Fujian")
        MembershipFactory(supplier=supplier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(SUPPLIERS).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(SUPPLIERS, {"province": "Fujian"}).status_code == 200


def test_the_province_filter_neither_duplicates_rows_nor_multiplies_balances(client, operator):
    two_factories = funded_supplier("1000.00", name_en="Twice in Guangdong")
    FactoryFactory(supplier=two_factories, province="Guangdong")
    FactoryFactory(supplier=two_factories, province="Guangdong")
    elsewhere = SupplierFactory(name_en="Zhejiang only")
    FactoryFactory(supplier=elsewhere, province="Zhejiang")
    client.force_login(operator)
    page = client.get(SUPPLIERS, {"province": "Guangdong"}).content.decode()
    assert balances_shown(page) == {"Twice in Guangdong": "1,000.00 CNY"}
    assert page.count("Twice in Guangdong<br>") == 1
    assert "1 supplier" in page


def test_the_list_filters_by_status_jit_and_changes_requested(client, operator):
    SupplierFactory(name_en="Paused", jit_status="paused")
    SupplierFactory(name_en="Sent back", status="applied", changes_requested=True)
    SupplierFactory(name_en="Waiting", status="applied")
    client.force_login(operator)

    def names(**query):
        return set(balances_shown(client.get(SUPPLIERS, query).content.decode()))

    assert names(jit_status__exact="paused") == {"Paused"}
    assert names(status__exact="applied", changes_requested__exact="0") == {"Waiting"}
    assert names(q="Sent") == {"Sent back"}


def test_status_and_jit_fields_are_read_only_on_the_change_form(client, operator):
    supplier = funded_supplier("10.00", status="applied", name_en="Old name")
    client.force_login(operator)
    url = f"{SUPPLIERS}{supplier.pk}/change/"
    page = client.get(url).content.decode()
    for field in ("status", "jit_status", "changes_requested", "review_comment"):
        assert f'name="{field}"' not in page
    form = {
        "name_zh": supplier.name_zh,
        "name_en": "New name",
        "credit_code": supplier.credit_code,
        "contact_name": "Wang Fang",
        "intended_categories": "[]",
        # Attempts to move the status through the form are ignored.
        "status": "active",
        "jit_status": "enrolled",
        "changes_requested": "on",
    }
    for prefix, count in [("factories", 1), ("memberships", 0), ("ledger_entries", 1)]:
        form |= {f"{prefix}-TOTAL_FORMS": count, f"{prefix}-INITIAL_FORMS": count}
    form |= {"events-TOTAL_FORMS": 1, "events-INITIAL_FORMS": 1}
    factory = supplier.factories.get()
    form |= {
        "factories-0-id": factory.pk,
        "factories-0-supplier": supplier.pk,
        "factories-0-province": "Guangdong",
        "factories-0-city": "Shantou",
        "factories-0-address": "2 Harbour Road",
        "factories-0-industrial_cluster": "",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:3000]
    supplier.refresh_from_db()
    assert (supplier.name_en, supplier.status, supplier.jit_status) == (
        "New name",
        "applied",
        "not_enrolled",
    )
    assert not supplier.changes_requested
    assert factory.__class__.objects.get(pk=factory.pk).address == "2 Harbour Road"


def test_the_change_page_shows_the_ledger_members_and_history(client, operator):
    supplier = funded_supplier("5000.00", status="active")
    MembershipFactory(supplier=supplier, user__username="wang")
    client.force_login(operator)
    act(client, SUPPLIERS, "suspend", [supplier], reason="Quality alert")
    page = client.get(f"{SUPPLIERS}{supplier.pk}/change/").content.decode()
    assert f"BANK-{supplier.pk}" in page  # the top-up in the ledger inline
    assert "wang" in page
    assert "supplier.status_changed" in page
    assert "Quality alert" in page
    # The ledger inline and the history are read-only: no inputs for their rows.
    assert 'name="ledger_entries-0-amount"' not in page
    assert 'name="events-0-reason"' not in page


def test_the_ledger_inline_shows_only_the_latest_entries(client, operator):
    from marketplace.admin_base import LatestRowsFormSet
    from suppliers.services.ledger import ledger_top_up

    LATEST_ROWS = LatestRowsFormSet.latest
    supplier = SupplierFactory()
    for n in range(LATEST_ROWS + 3):
        ledger_top_up(supplier, amount="1.00", bank_reference=f"T{n:03d}", actor=None)
    client.force_login(operator)
    page = client.get(f"{SUPPLIERS}{supplier.pk}/change/").content.decode()
    assert f'name="ledger_entries-INITIAL_FORMS" value="{LATEST_ROWS}"' in page
    assert f"T{LATEST_ROWS + 2:03d}" in page  # the newest, by its bank reference
    assert "T000" not in page  # the oldest


# --- Members ----------------------------------------------------------------------------------


def test_a_membership_cannot_go_to_staff_or_to_someone_who_has_one(client, operator):
    supplier = SupplierFactory()
    staff = UserFactory(is_staff=True)
    taken = MembershipFactory().user
    integrator, _key = api_client()
    free = UserFactory()
    client.force_login(operator)
    for user, message in [
        (staff, "Staff act for the marketplace"),
        (taken, "already acts for a supplier"),
        (integrator.user, "API client"),
    ]:
        response = client.post(
            "/admin/suppliers/membership/add/",
            {"user": user.pk, "supplier": supplier.pk, "role": "staff"},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Membership.objects.filter(supplier=supplier).exists()
    response = client.post(
        "/admin/suppliers/membership/add/",
        {"user": free.pk, "supplier": supplier.pk, "role": "owner"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(user=free).supplier == supplier


def test_a_second_owner_is_refused_by_the_form(client, operator):
    owner = MembershipFactory(role="owner")
    client.force_login(operator)
    response = client.post(
        "/admin/suppliers/membership/add/",
        {"user": UserFactory().pk, "supplier": owner.supplier_id, "role": "owner"},
    )
    assert response.status_code == 200
    assert Membership.objects.filter(supplier=owner.supplier).count() == 1


def test_invitations_are_read_only(client, operator):
    client.force_login(operator)
    assert client.get("/admin/suppliers/invitation/").status_code == 200
    assert client.get("/admin/suppliers/invitation/add/").status_code == 403


# --- The ledger -------------------------------------------------------------------------------


def post_entry(client, **fields):
    form = {"kind": "top_up", "amount": "", "bank_reference": "", "memo": "", "corrects": ""}
    return client.post(f"{LEDGER}add/", form | fields)


def test_finance_records_a_top_up_through_the_add_form(client, finance_user):
    supplier = SupplierFactory()
    client.force_login(finance_user)
    response = post_entry(
        client, supplier=supplier.pk, amount="6000.00", bank_reference="ICBC-20260301-1"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LedgerEntry.objects.get(supplier=supplier)
    assert (entry.kind, entry.amount, entry.bank_reference, entry.posted_by) == (
        "top_up",
        Decimal("6000.00"),
        "ICBC-20260301-1",
        finance_user,
    )
    event = Event.objects.get(kind="ledger.posted", supplier=supplier)
    assert event.actor == finance_user


def test_finance_posts_an_adjustment_that_corrects_an_entry(client, finance_user):
    supplier = funded_supplier("1000.00")
    wrong = LedgerEntry.objects.get(supplier=supplier)
    client.force_login(finance_user)
    response = post_entry(
        client,
        kind="adjustment",
        supplier=supplier.pk,
        amount="-100.00",
        memo="Transfer fee was not deducted",
        corrects=wrong.pk,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    adjustment = LedgerEntry.objects.get(supplier=supplier, kind="adjustment")
    assert (adjustment.amount, adjustment.corrects, adjustment.posted_by) == (
        Decimal("-100.00"),
        wrong,
        finance_user,
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"amount": "100.00"}, "bank_reference", "Required."),
        ({"amount": "-5.00", "bank_reference": "X1"}, "amount", "Must be above zero."),
        ({"kind": "adjustment", "amount": "10.00"}, "memo", "Required."),
        ({"kind": "adjustment", "amount": "0", "memo": "why"}, "amount", "Not zero."),
        ({"amount": "1.001", "bank_reference": "X2"}, "amount", "decimal place"),
    ],
)
def test_an_invalid_posting_shows_the_field_error_and_writes_nothing(
    client, finance_user, fields, field, message
):
    supplier = SupplierFactory()
    client.force_login(finance_user)
    response = post_entry(client, supplier=supplier.pk, **fields)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert not LedgerEntry.objects.exists()
    assert not Event.objects.filter(kind="ledger.posted").exists()


def test_a_bank_reference_is_credited_once(client, finance_user):
    supplier = funded_supplier("100.00")  # bank reference BANK-<pk>
    client.force_login(finance_user)
    response = post_entry(
        client, supplier=supplier.pk, amount="100.00", bank_reference=f"BANK-{supplier.pk}"
    )
    assert response.status_code == 200
    assert "Already credited." in response.content.decode()
    assert LedgerEntry.objects.filter(supplier=supplier).count() == 1


def test_an_adjustment_cannot_correct_another_suppliers_entry(client, finance_user):
    theirs = LedgerEntry.objects.get(supplier=funded_supplier("50.00"))
    mine = SupplierFactory()
    client.force_login(finance_user)
    response = post_entry(
        client, kind="adjustment", supplier=mine.pk, amount="1.00", memo="x", corrects=theirs.pk
    )
    assert response.status_code == 200
    assert "corrects" in response.context["adminform"].form.errors
    assert not LedgerEntry.objects.filter(supplier=mine).exists()


def test_finance_posts_a_chargeback_that_says_which_claim(client, finance_user):
    supplier = funded_supplier("1000.00")
    client.force_login(finance_user)
    refused = post_entry(client, kind="chargeback", supplier=supplier.pk, amount="80.00")
    assert refused.status_code == 200
    assert "memo" in refused.context["adminform"].form.errors
    assert not LedgerEntry.objects.filter(kind="chargeback").exists()
    response = post_entry(
        client, kind="chargeback", supplier=supplier.pk, amount="80.00", memo="Claim C-1: cracked"
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = LedgerEntry.objects.get(supplier=supplier, kind="chargeback")
    assert (entry.amount, entry.memo, entry.posted_by) == (
        Decimal("-80.00"),
        "Claim C-1: cracked",
        finance_user,
    )
    assert Event.objects.filter(
        kind="ledger.posted", supplier=supplier, actor=finance_user
    ).exists()


def test_the_add_form_offers_only_top_ups_chargebacks_and_adjustments(client, finance_user):
    client.force_login(finance_user)
    page = client.get(f"{LEDGER}add/").content.decode()
    kinds = re.findall(r'<option value="([a-z_]+)"', page)
    assert kinds == ["top_up", "chargeback", "adjustment"]
    response = post_entry(client, kind="penalty", supplier=SupplierFactory().pk, amount="-1")
    assert response.status_code == 200
    assert not LedgerEntry.objects.exists()


def test_operators_read_the_ledger_but_cannot_post(client, operator):
    supplier = funded_supplier("10.00")
    entry = LedgerEntry.objects.get(supplier=supplier)
    client.force_login(operator)
    assert client.get(LEDGER).status_code == 200
    assert client.get(f"{LEDGER}add/").status_code == 403
    response = post_entry(client, supplier=supplier.pk, amount="5.00", bank_reference="OP-1")
    assert response.status_code == 403
    assert LedgerEntry.objects.count() == 1
    page = client.get(f"{LEDGER}{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="amount"' not in page.content.decode()


def test_nobody_changes_or_deletes_an_entry(client, finance_user, admin_user):
    entry = LedgerEntry.objects.get(supplier=funded_supplier("10.00"))
    for user in (finance_user, admin_user):
        client.force_login(user)
        assert client.post(f"{LEDGER}{entry.pk}/change/", {"amount": "1"}).status_code == 403
        assert client.post(f"{LEDGER}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00")


def test_the_ledger_list_queries_stay_constant(client, finance_user, django_assert_max_num_queries):
    funded_supplier("10.00")
    client.force_login(finance_user)
    with django_assert_max_num_queries(30) as few:
        assert client.get(LEDGER).status_code == 200
    for _ in range(10):
        funded_supplier("20.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LEDGER, {"q": "BANK"}).status_code == 200


# --- Withdrawals ------------------------------------------------------------------------------


def a_withdrawal(balance="1000.00", amount="400.00"):
    supplier = funded_supplier(balance)
    owner = MembershipFactory(supplier=supplier, role="owner").user
    return withdrawal_request(supplier, amount=amount, bank_account="6222 0000 1111", actor=owner)


def test_finance_approves_a_withdrawal(client, finance_user):
    request = a_withdrawal()
    client.force_login(finance_user)
    notes = act(client, WITHDRAWALS, "approve", [request])
    assert notes == [("success", "1 withdrawal approved.")]
    request.refresh_from_db()
    assert (request.status, request.decided_by) == ("approved", finance_user)
    assert request.entry.amount == Decimal("-400.00")
    assert request.entry.posted_by == finance_user


def test_a_withdrawal_past_the_balance_is_refused_with_a_message(client, finance_user):
    request = a_withdrawal("1000.00", "900.00")
    ledger_penalty(request.supplier, amount="500.00", actor=None, reference=None, memo="Late")
    client.force_login(finance_user)
    [(level, text)] = act(client, WITHDRAWALS, "approve", [request])
    assert level == "error"
    assert "below the 0.00 CNY" in text
    request.refresh_from_db()
    assert request.status == "requested"


def test_finance_rejects_a_withdrawal_with_a_reason(client, finance_user):
    request = a_withdrawal()
    client.force_login(finance_user)
    [(level, _text)] = act(client, WITHDRAWALS, "reject", [request])
    assert level == "error"
    request.refresh_from_db()
    assert request.status == "requested"
    notes = act(client, WITHDRAWALS, "reject", [request], reason="Account name mismatch")
    assert notes == [("success", "1 withdrawal rejected.")]
    request.refresh_from_db()
    assert (request.status, request.decision_reason) == ("rejected", "Account name mismatch")
    event = Event.objects.get(kind="supplier.withdrawal_rejected")
    assert (event.actor, event.reason) == (finance_user, "Account name mismatch")


def test_withdrawals_are_never_edited_and_operators_only_read(client, finance_user, operator):
    request = a_withdrawal()
    url = f"{WITHDRAWALS}{request.pk}/change/"
    client.force_login(finance_user)
    assert 'name="amount"' not in client.get(url).content.decode()
    assert client.post(url, {"amount": "1.00", "status": "approved"}).status_code == 403
    client.force_login(operator)
    assert client.get(WITHDRAWALS).status_code == 200
    client.post(WITHDRAWALS, {"action": "approve", "_selected_action": [request.pk]})
    request.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.REQUESTED
