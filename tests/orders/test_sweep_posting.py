"""The sweep posts its penalties through the ledger's one posting service
(`suppliers.services.ledger.posting.ledger_post_many`): whichever path it takes (the one
statement on PostgreSQL or the ORM's steps), it leaves the very entries, `ledger.posted` events,
webhook deliveries and JIT pauses that posting the same penalties one by one through
`ledger_penalty` leaves; and a storefront creating an order never waits for a sweep's batch."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from marketplace.models import Event, WebhookDelivery, WebhookEndpoint
from orders.models import JitOrder, Penalty
from orders.services.orders import jit_order_create
from orders.services.sweep import sweep_jit_deadlines
from suppliers.models import LedgerEntry, Supplier
from suppliers.selectors import supplier_balance
from suppliers.services.ledger import ledger_penalty, ledger_top_up
from tests.factories.accounts import UserFactory, api_client
from tests.factories.orders import jit_listing, jit_order

D = Decimal
H = timedelta(hours=1)
Status = JitOrder.Status
MONEY_EVENTS = ("ledger.posted", "supplier.jit_paused", "supplier.jit_resumed")


class _Rollback(Exception):
    pass


def rolled_back(run: Callable[[], Any]) -> Any:
    """What `run` returns, its writes undone (sequences excepted: compare by keys, not ids)."""
    result = None
    try:
        with transaction.atomic():
            result = run()
            raise _Rollback
    except _Rollback:
        pass
    return result


def _scenario() -> tuple[list[int], dict[str, int]]:
    """Three suppliers and orders owing every tier; the third supplier's deposit falls below the
    JIT minimum part-way through its penalties. Returns the suppliers and the ids to look after."""
    rich = jit_listing(deposit="100000.00", price="20.00")
    other = jit_listing(deposit="50000.00", price="13.00")
    thin = jit_listing(deposit="5100.00", price="12.00")
    start = timezone.now() - 100 * H
    at = lambda hours: start + hours * H  # noqa: E731
    n = 0
    for listing in (rich, other, thin):
        for hours_ago, fields in [
            (30, {}),
            (60, {}),
            (100, {}),
            (60, {"status": Status.ACCEPTED, "first_scan_at": 30}),
            (40, {"status": Status.REJECTED_QUALITY, "first_scan_at": 27}),
            (50, {"status": Status.FAILED_STOCKOUT, "stockout_declared_at": 26}),
            (50, {"status": Status.ACCEPTED, "first_scan_at": 8}),
        ]:
            ordered = at(100 - hours_ago)
            values = {
                key: (ordered + value * H if key.endswith("_at") else value)
                for key, value in fields.items()
            }
            if "first_scan_at" in values:
                values |= {"shipment_recorded_at": values["first_scan_at"], "waybill": "SF1"}
            n += 1
            jit_order(
                listing, ordered_at=ordered, external_id=f"P-{n}", quantity=1 + n % 3, **values
            )
    client, _plain = api_client(scopes=["read"], name="Books")
    WebhookEndpoint.objects.create(
        client=client,
        url="https://books.test/hook",
        secret="s",
        event_kinds=[*MONEY_EVENTS, "order.penalty_assessed"],
    )
    after = {
        "entry": LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "event": Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }
    return [rich.supplier_id, other.supplier_id, thin.supplier_id], after


def _money(suppliers: list[int], after: dict[str, int]) -> dict[str, Any]:
    """What the postings left, in terms that do not depend on ids or clocks."""
    entries = list(
        LedgerEntry.objects.filter(pk__gt=after["entry"])
        .order_by("pk")
        .values_list(
            "pk",
            "supplier_id",
            "kind",
            "amount",
            "reference_type_id",
            "reference_id",
            "memo",
            "posted_by_id",
            "corrects_id",
        )
    )
    position = {row[0]: n for n, row in enumerate(entries)}
    events = Event.objects.filter(pk__gt=after["event"], kind__in=MONEY_EVENTS)
    return {
        "entries": [row[1:] for row in entries],
        "events": sorted(
            (
                e.kind,
                e.supplier_id,
                position[int(e.subject_id)] if e.subject_id else None,
                e.reason,
                tuple(sorted(e.payload.items())),
                e.actor_id,
            )
            for e in events
        ),
        "deliveries": Counter(
            WebhookDelivery.objects.filter(event__in=events).values_list("event__kind", flat=True)
        ),
        "suppliers": list(
            Supplier.objects.filter(pk__in=suppliers)
            .order_by("pk")
            .values_list("pk", "jit_status", "jit_status_reason")
        ),
        "balances": [supplier_balance(s) for s in suppliers],
    }


@pytest.mark.django_db
def test_both_sweep_paths_post_what_posting_one_by_one_posts(monkeypatch):
    suppliers, after = _scenario()
    now = timezone.now()

    def sweep(path: str) -> dict[str, Any]:
        with monkeypatch.context() as patch:
            if path == "orm":
                patch.setattr("orders.services.sweep.set_based", lambda: False)
            sweep_jit_deadlines(now=now)
        charged = list(
            Penalty.objects.filter(ledger_entry__isnull=False)
            .order_by("ledger_entry_id")
            .values_list("order_id", "supplier_id", "amount")
        )
        return {**_money(suppliers, after), "charged": charged}

    native = rolled_back(lambda: sweep("native"))
    orm = rolled_back(lambda: sweep("orm"))

    def one_by_one() -> dict[str, Any]:
        for order_id, supplier_id, amount in native["charged"]:
            ledger_penalty(
                Supplier.objects.get(pk=supplier_id),
                amount=amount,
                actor=None,
                reference=JitOrder.objects.get(pk=order_id),
                memo="",
            )
        return _money(suppliers, after)

    single = rolled_back(one_by_one)
    assert len(native["charged"]) > 20
    assert native["events"]
    assert native["deliveries"]["ledger.posted"] == len(native["entries"])
    # The thin supplier crossed the minimum part-way, and was paused once.
    assert native["suppliers"][2][1:] == ("paused", "deposit_below_minimum")
    assert native["deliveries"]["supplier.jit_paused"] == 1
    assert orm == native
    assert {k: v for k, v in native.items() if k != "charged"} == single


@pytest.mark.django_db
def test_a_batch_moves_jit_as_its_postings_would_one_by_one(settings):
    """Debits and credits mixed in one batch: the JIT status moves after each entry as it would
    after each posting (paused, resumed, paused again), whether the batch is a list of
    postings or postings selected in SQL (PostgreSQL)."""
    from suppliers.services.ledger.posting import Posting, PostingQuery, ledger_post_many

    settings.JIT_MIN_DEPOSIT_CNY = D("5000.00")
    supplier = jit_listing(deposit="5050.00").supplier
    other = jit_listing(deposit="9000.00").supplier
    steps = [
        (supplier.pk, "-100.00"),
        (other.pk, "-10.00"),
        (supplier.pk, "200.00"),
        (supplier.pk, "-50.00"),
        (supplier.pk, "-150.00"),
        (other.pk, "-5000.00"),
    ]
    after = {
        "entry": LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        "event": Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    }
    ids = [supplier.pk, other.pk]
    postings = [
        Posting(supplier_id=s, kind="adjustment", amount=D(a), memo=f"step {n}")
        for n, (s, a) in enumerate(steps)
    ]

    def singly() -> dict[str, Any]:
        for posting in postings:
            ledger_post_many([posting], actor=None)
        return _money(ids, after)

    def listed() -> dict[str, Any]:
        posted = ledger_post_many(postings, actor=None)
        assert (posted.paused, posted.resumed) == (3, 1)
        return _money(ids, after)

    expected = rolled_back(singly)
    assert [e[0] for e in expected["events"] if e[0] != "ledger.posted"] == [
        "supplier.jit_paused",
        "supplier.jit_paused",
        "supplier.jit_paused",
        "supplier.jit_resumed",
    ]
    assert rolled_back(listed) == expected
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s, %s, %s::numeric, %s)"] * len(postings))
        query = PostingQuery(
            "SELECT NULL::bigint AS id, supplier_id, kind, amount, NULL::integer "
            f"AS reference_type_id, '' AS reference_id, memo FROM (VALUES {values}) "
            "AS v(supplier_id, kind, amount, memo)",
            [x for p in postings for x in (p.supplier_id, p.kind, p.amount, p.memo)],
        )

        def selected() -> dict[str, Any]:
            posted = ledger_post_many(query, actor=None)
            assert (posted.count, posted.paused, posted.resumed) == (6, 3, 1)
            return _money(ids, after)

        assert rolled_back(selected) == expected


# --- A sweep does not hold up the storefront (PostgreSQL, parallel transactions) ------------


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _waits_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [pid]
        )
        row = cursor.fetchone()
    return bool(row and row[0])


class _Worker(threading.Thread):
    """Runs `work` on its own connection; says its backend pid, then whether it finished."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work, self.pid, self.error = work, 0, None
        self.started_work, self.done = threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            self.pid = _backend_pid()
            self.started_work.set()
            self.work()
        except BaseException as error:  # reported by the test
            self.error = error
        finally:
            self.done.set()
            connections.close_all()


def _blocked(worker: _Worker) -> bool:
    """Poll until the worker either finishes (False) or waits on a lock (True)."""
    assert worker.started_work.wait(30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.done.is_set():
            return False
        if _waits_on_a_lock(worker.pid):
            return True
        time.sleep(0.005)
    raise AssertionError("the worker neither finished nor waited on a lock within 60 s")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_order_create_does_not_wait_for_a_sweep_batch(monkeypatch):
    """The sweep is stopped at its batch's most locked moment: its entries posted, its
    suppliers locked, not yet committed. An order for the same supplier goes through at once;
    a posting to that supplier waits for the commit (postings stay serialised) and then sees
    the sweep's entries."""
    from orders.services.sweep import native

    listing = jit_listing(deposit="100000.00", price="20.00")
    start = timezone.now()
    for n in range(30):
        jit_order(listing, ordered_at=start - 30 * H, external_id=f"OLD-{n}", quantity=1)
    storefront = UserFactory()

    posted, release = threading.Event(), threading.Event()
    post = native.ledger_post_many

    def post_and_hold(*args: Any, **kwargs: Any) -> Any:
        result = post(*args, **kwargs)
        posted.set()
        assert release.wait(120)
        return result

    monkeypatch.setattr(native, "ledger_post_many", post_and_hold)
    sweep = _Worker(lambda: sweep_jit_deadlines(now=start))
    sweep.start()
    top_up: _Worker | None = None
    try:
        assert posted.wait(60), sweep.error
        # The supplier is locked (a FOR UPDATE cannot have it) ...
        with pytest.raises(OperationalError), transaction.atomic():
            Supplier.objects.select_for_update(nowait=True).get(pk=listing.supplier_id)

        # ... and yet a storefront's order for it goes through while the batch is open.
        create = _Worker(
            lambda: jit_order_create(
                listing_id=listing.pk, quantity=1, external_id="NEW-1", actor=storefront
            )
        )
        create.start()
        assert not _blocked(create), "the order waited for the sweep's locks"
        assert create.error is None, create.error
        assert JitOrder.objects.filter(external_id="NEW-1").exists()

        # A posting to the same supplier waits for the batch to commit.
        top_up = _Worker(
            lambda: ledger_top_up(
                Supplier.objects.get(pk=listing.supplier_id),
                amount="1.00",
                bank_reference="WAIT-1",
                actor=None,
            )
        )
        top_up.start()
        assert _blocked(top_up)
    finally:
        release.set()
        sweep.join(60)
    assert top_up is not None
    top_up.join(60)
    assert sweep.error is None, sweep.error
    assert top_up.error is None, top_up.error
    assert LedgerEntry.objects.filter(kind="penalty", supplier_id=listing.supplier_id).count() == 30
    # The top-up came after the penalties, and its event says the balance after them.
    event = Event.objects.filter(kind="ledger.posted").order_by("-pk").first()
    assert event is not None
    assert event.payload == {
        "kind": "top_up",
        "amount": "1.00",
        "balance": str(D("100000.00") - 30 * D("20.00") + 1),
    }
