from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from suppliers.models import LedgerEntry, Supplier, WithdrawalRequest
from suppliers.selectors import supplier_balance, with_balance
from suppliers.services.jit import jit_apply
from suppliers.services.ledger import (
    ledger_adjust,
    ledger_chargeback,
    ledger_penalty,
    ledger_reverse_penalty,
    ledger_top_up,
    withdrawal_approve,
    withdrawal_reject,
    withdrawal_request,
)
from tests.concurrency import in_threads
from tests.factories.accounts import UserFactory
from tests.factories.suppliers import MembershipFactory, SupplierFactory, funded_supplier

pytestmark = pytest.mark.django_db
D = Decimal


def owner_of(supplier: Supplier):
    owner = supplier.memberships.filter(role="owner").first()
    return owner.user if owner else MembershipFactory(supplier=supplier, role="owner").user


def test_balance_is_the_sum_of_signed_entries():
    supplier = SupplierFactory()
    ledger_top_up(supplier, amount="1000.00", bank_reference="B1", actor=None)
    penalty = ledger_penalty(supplier, amount="150.50", actor=None, reference=None, memo="late")
    ledger_chargeback(supplier, amount="20", actor=None, reference=None, memo="defect")
    ledger_reverse_penalty(penalty, actor=None, memo="waived on appeal")
    ledger_adjust(supplier, amount="-0.01", actor=None, memo="rounding", corrects=penalty)
    assert supplier_balance(supplier.pk) == D("979.99")
    amounts = sorted(LedgerEntry.objects.filter(supplier=supplier).values_list("amount", flat=True))
    assert amounts == [D("-150.50"), D("-20.00"), D("-0.01"), D("150.50"), D("1000.00")]
    reversal = LedgerEntry.objects.get(kind="penalty_reversal")
    assert reversal.corrects == penalty


def test_a_chargeback_says_which_claim():
    supplier = SupplierFactory()
    with pytest.raises(DomainError) as refused:
        ledger_chargeback(supplier, amount="20", actor=None, reference=None, memo=" ")
    assert (refused.value.code, refused.value.kind) == ("memo_required", ErrorKind.INVALID)
    assert not LedgerEntry.objects.exists()


def test_a_penalty_is_reversed_once():
    supplier = funded_supplier()
    penalty = ledger_penalty(supplier, amount="10", actor=None, reference=None, memo="late")
    ledger_reverse_penalty(penalty, actor=None, memo="waived")
    with pytest.raises(DomainError, match="already been reversed"):
        ledger_reverse_penalty(penalty, actor=None, memo="again")


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "abc", "NaN", "Infinity"])
def test_bad_amounts_are_refused_naming_the_field(amount):
    with pytest.raises(DomainError) as refused:
        ledger_top_up(SupplierFactory(), amount=amount, bank_reference="B", actor=None)
    assert "amount" in refused.value.fields
    assert not LedgerEntry.objects.exists()


def test_a_bank_transfer_is_credited_once():
    supplier = SupplierFactory()
    ledger_top_up(supplier, amount="500", bank_reference="ICBC-2026-0001", actor=None)
    with pytest.raises(DomainError) as refused:
        ledger_top_up(supplier, amount="500", bank_reference="ICBC-2026-0001", actor=None)
    assert refused.value.code == "duplicate_top_up"
    assert supplier_balance(supplier.pk) == D("500.00")


def test_the_database_refuses_wrong_signs():
    supplier = SupplierFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(supplier=supplier, kind="penalty", amount=D("10"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE suppliers_ledgerentry SET amount = 1000000 WHERE id = %s",
        "DELETE FROM suppliers_ledgerentry WHERE id = %s",
    ],
)
def test_the_database_refuses_update_and_delete_of_entries(statement):
    supplier = SupplierFactory()
    entry = ledger_top_up(supplier, amount="100", bank_reference="B", actor=None)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == D("100.00")


def test_the_orm_cannot_edit_an_entry_either():
    entry = ledger_top_up(SupplierFactory(), amount="100", bank_reference="B", actor=None)
    entry.amount = D("1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()


def test_every_posting_is_an_event():
    supplier = SupplierFactory()
    actor = UserFactory()
    entry = ledger_top_up(supplier, amount="100", bank_reference="B", actor=actor)
    event = Event.objects.get(kind="ledger.posted")
    assert event.supplier == supplier
    assert event.actor == actor
    assert event.subject == entry
    assert event.payload == {"kind": "top_up", "amount": "100.00", "balance": "100.00"}


def test_balances_of_many_suppliers_come_from_one_query(django_assert_num_queries):
    for n in range(30):
        ledger_top_up(SupplierFactory(), amount=n + 1, bank_reference="B", actor=None)
    with django_assert_num_queries(1):
        balances = {s.pk: s.balance for s in with_balance(Supplier.objects.all())}
    assert sorted(balances.values()) == [D(n + 1) for n in range(30)]


# --- JIT pause and resume at the threshold -----------------------------------------------------


@pytest.fixture
def enrolled(settings):
    settings.JIT_MIN_DEPOSIT_CNY = D("5000.00")
    supplier = funded_supplier("5000.00")
    jit_apply(supplier, actor=None)
    assert supplier.jit_status == Supplier.JitStatus.ENROLLED
    return supplier


def test_a_penalty_below_the_minimum_pauses_jit_in_the_same_transaction(enrolled):
    ledger_penalty(enrolled, amount="0.01", actor=None, reference=None, memo="late")
    enrolled.refresh_from_db()
    assert enrolled.jit_status == Supplier.JitStatus.PAUSED
    assert enrolled.jit_status_reason == "deposit_below_minimum"
    assert Event.objects.filter(kind="supplier.jit_paused", supplier=enrolled).count() == 1


def test_a_top_up_that_restores_the_minimum_resumes_jit(enrolled):
    ledger_penalty(enrolled, amount="100", actor=None, reference=None, memo="late")
    ledger_top_up(enrolled, amount="99.99", bank_reference="B2", actor=None)
    enrolled.refresh_from_db()
    assert enrolled.jit_status == Supplier.JitStatus.PAUSED
    ledger_top_up(enrolled, amount="0.01", bank_reference="B3", actor=None)
    enrolled.refresh_from_db()
    assert enrolled.jit_status == Supplier.JitStatus.ENROLLED
    kinds = list(
        Event.objects.filter(supplier=enrolled, kind__startswith="supplier.jit")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == ["supplier.jit_enrolled", "supplier.jit_paused", "supplier.jit_resumed"]


def test_a_rolled_back_posting_leaves_jit_as_it_was(enrolled):
    with pytest.raises(RuntimeError), transaction.atomic():
        ledger_penalty(enrolled, amount="1", actor=None, reference=None, memo="late")
        raise RuntimeError("the order update failed")
    enrolled.refresh_from_db()
    assert enrolled.jit_status == Supplier.JitStatus.ENROLLED
    assert not Event.objects.filter(kind="supplier.jit_paused").exists()


# --- Withdrawals ----------------------------------------------------------------------------


def test_withdrawal_never_below_zero():
    supplier = funded_supplier("300.00")
    with pytest.raises(DomainError) as refused:
        withdrawal_request(supplier, amount="300.01", bank_account="6222", actor=owner_of(supplier))
    assert refused.value.fields == {"amount": ["At most 300.00 CNY."]}
    request = withdrawal_request(
        supplier, amount="300", bank_account="6222", actor=owner_of(supplier)
    )
    withdrawal_approve(request, actor=UserFactory())
    assert supplier_balance(supplier.pk) == D("0.00")


def test_withdrawal_never_below_the_jit_minimum_while_enrolled(enrolled):
    ledger_top_up(enrolled, amount="800", bank_reference="B9", actor=None)
    request = withdrawal_request(
        enrolled, amount="800", bank_account="6222", actor=owner_of(enrolled)
    )
    # A penalty lands between the request and finance's decision.
    ledger_penalty(enrolled, amount="1", actor=None, reference=None, memo="late")
    with pytest.raises(DomainError) as refused:
        withdrawal_approve(request, actor=UserFactory())
    assert refused.value.code == "insufficient_balance"
    assert supplier_balance(enrolled.pk) == D("5799.00")
    request.refresh_from_db()
    assert request.status == WithdrawalRequest.Status.REQUESTED


def test_approving_twice_pays_once():
    supplier = funded_supplier("1000")
    request = withdrawal_request(
        supplier, amount="100", bank_account="6222", actor=owner_of(supplier)
    )
    finance = UserFactory()
    withdrawal_approve(request, actor=finance)
    withdrawal_approve(request, actor=finance)
    assert supplier_balance(supplier.pk) == D("900.00")
    with pytest.raises(DomainError):
        withdrawal_reject(request, actor=finance, reason="too late")


# --- Concurrency on PostgreSQL ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_postings_to_one_supplier_lose_nothing():
    supplier = SupplierFactory()
    per_worker = 10

    def post(index: int) -> None:
        for n in range(per_worker):
            ledger_top_up(supplier, amount="1.25", bank_reference=f"T{index}-{n}", actor=None)
            ledger_penalty(supplier, amount="0.25", actor=None, reference=None, memo="late")

    assert in_threads(8, post) == []
    assert LedgerEntry.objects.filter(supplier=supplier).count() == 8 * per_worker * 2
    assert supplier_balance(supplier.pk) == D("80.00")
    # Each posting saw the balance the one before it left: in commit order, every recorded
    # balance is the running sum of the amounts.
    running = D("0")
    for event in Event.objects.filter(kind="ledger.posted").order_by("id"):
        running += D(event.payload["amount"])
        assert D(event.payload["balance"]) == running


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_withdrawals_never_overdraw():
    supplier = funded_supplier("1000.00")
    finance = UserFactory()
    requests = [
        WithdrawalRequest.objects.create(
            supplier=supplier, amount=D("300"), bank_account="6222", requested_by=finance
        )
        for _ in range(6)
    ]
    errors = in_threads(6, lambda i: withdrawal_approve(requests[i], actor=finance))
    assert len(errors) == 3
    assert all(isinstance(e, DomainError) and e.code == "insufficient_balance" for e in errors)
    assert supplier_balance(supplier.pk) == D("100.00")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_penalties_pause_jit_exactly_once(settings):
    settings.JIT_MIN_DEPOSIT_CNY = D("5000.00")
    supplier = funded_supplier("5050.00")
    jit_apply(supplier, actor=None)
    errors = in_threads(
        8,
        lambda i: ledger_penalty(supplier, amount="10", actor=None, reference=None, memo="late"),
    )
    assert errors == []
    supplier.refresh_from_db()
    assert supplier_balance(supplier.pk) == D("4970.00")
    assert supplier.jit_status == Supplier.JitStatus.PAUSED
    assert Event.objects.filter(kind="supplier.jit_paused").count() == 1


def test_only_the_owner_asks_for_a_withdrawal():
    supplier = funded_supplier("1000")
    staff = MembershipFactory(supplier=supplier).user
    for actor in (staff, UserFactory(is_staff=True), owner_of(SupplierFactory())):
        with pytest.raises(DomainError) as refused:
            withdrawal_request(supplier, amount="10", bank_account="6222", actor=actor)
        assert refused.value.kind == ErrorKind.FORBIDDEN
    assert not WithdrawalRequest.objects.exists()


# --- The one posting service, many postings at once ------------------------------------------


def test_a_batch_is_posted_whole_or_not_at_all():
    from suppliers.services.ledger.posting import Posting, ledger_post_many

    rich, poor = funded_supplier("1000.00"), funded_supplier("100.00")
    entries, events = LedgerEntry.objects.count(), Event.objects.count()
    with pytest.raises(DomainError) as refused:
        ledger_post_many(
            [
                Posting(supplier_id=rich.pk, kind="chargeback", amount=D("-10.00")),
                Posting(supplier_id=poor.pk, kind="withdrawal", amount=D("-100.01"), floor=D(0)),
            ],
            actor=None,
        )
    assert refused.value.code == "insufficient_balance"
    assert (LedgerEntry.objects.count(), Event.objects.count()) == (entries, events)
    assert (supplier_balance(rich.pk), supplier_balance(poor.pk)) == (D("1000.00"), D("100.00"))


def test_a_batch_tells_each_entry_the_balance_after_it():
    from suppliers.services.ledger.posting import Posting, ledger_post_many

    one, two = funded_supplier("100.00"), funded_supplier("50.00")
    actor = UserFactory()
    posted = ledger_post_many(
        [
            Posting(supplier_id=one.pk, kind="penalty", amount=D("-10"), memo="a"),
            Posting(supplier_id=two.pk, kind="chargeback", amount=D("-5.5")),
            Posting(supplier_id=one.pk, kind="adjustment", amount=D("2.25"), memo="b"),
        ],
        actor=actor,
    )
    assert [e.amount for e in posted.entries] == [D("-10.00"), D("-5.50"), D("2.25")]
    assert posted.balances == {one.pk: D("92.25"), two.pk: D("44.50")}
    got = [
        (e.supplier_id, e.actor_id, e.reason, e.payload)
        for e in Event.objects.filter(
            kind="ledger.posted", subject_id__in=[str(x.pk) for x in posted.entries]
        ).order_by("pk")
    ]
    assert got == [
        (one.pk, actor.pk, "a", {"kind": "penalty", "amount": "-10.00", "balance": "90.00"}),
        (two.pk, actor.pk, "", {"kind": "chargeback", "amount": "-5.50", "balance": "44.50"}),
        (one.pk, actor.pk, "b", {"kind": "adjustment", "amount": "2.25", "balance": "92.25"}),
    ]
