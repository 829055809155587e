"""The one way money is posted: `ledger_post_many`, one posting or a sweep's batch alike.

In the caller's transaction, as late in it as the caller can (just before the balances are
read):

1. lock the suppliers posted to, in ascending id order, `FOR NO KEY UPDATE`: two postings to
   one supplier run one after the other, so each sees the balance the other left (no lost
   update, no withdrawal past its floor), while postings to other suppliers run side by side.
   The lock is the weakest that serialises postings: it does not conflict with the key-share
   locks that inserts referencing the supplier take (a new order, an event), so a storefront
   creating orders never waits for a posting, however long the posting's transaction;
2. read the balances (the sum of the entries, never a stored figure) and refuse a posting that
   would take a balance below its floor;
3. insert every entry at once (append-only: the database refuses UPDATE and DELETE);
4. write one `ledger.posted` event per entry with the balance after it, one supplier's entries
   taken in id order as one posting after another would;
5. apply the JIT threshold (`suppliers.services.jit.jit_threshold_move`) to the balance after
   each entry: pause JIT when the deposit falls below the minimum, resume it when back, each
   move with its event.

A list of `Posting`s goes through the ORM (any database). A sweep on PostgreSQL hands the same
service a `PostingQuery` instead: postings selected in SQL, written by one statement
(`posting_sql.POST_SQL`) with exactly the same entries, events and JIT moves (a test compares
the two paths with posting one by one).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.celery import enqueue_on_commit
from marketplace.errors import DomainError
from marketplace.events import NewEvent, record_events
from marketplace.models import WebhookEndpoint

from ...models import LedgerEntry, Supplier
from ..jit import PAUSE, RESUME, THRESHOLD_STATUSES, jit_threshold_move
from .posting_sql import LOCK_SQL, POST_SQL

LEDGER_EVENT = "ledger.posted"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
Kind = LedgerEntry.Kind


@dataclass(frozen=True)
class Posting:
    """One entry to post. `amount` is signed as the entry stores it (a penalty is negative)."""

    supplier_id: int
    kind: str
    amount: Decimal
    reference_type_id: int | None = None
    reference_id: str = ""
    corrects_id: int | None = None
    memo: str = ""
    bank_reference: str = ""
    # Refuse the posting if it would leave the balance below this (a withdrawal's floor).
    floor: Decimal | None = None


def reference_of(reference: models.Model | None) -> dict[str, Any]:
    """The `reference_type_id` and `reference_id` of a Posting naming what caused it."""
    if reference is None:
        return {}
    return {
        "reference_type_id": ContentType.objects.get_for_model(reference).pk,
        "reference_id": str(reference.pk),
    }


@dataclass(frozen=True)
class PostingQuery:
    """Postings selected in SQL, for a set-based caller on PostgreSQL. `sql` yields the columns
    `id` (an entry id taken from `entry_id_sql()` beforehand, so the caller's rows can point at
    the entry, or NULL), `supplier_id`, `kind`, `amount` (signed), `reference_type_id`,
    `reference_id` and `memo`. It is run twice in the transaction (to lock the suppliers, then
    to post), so it must select the same rows both times."""

    sql: str
    params: Sequence[Any]


@dataclass
class Posted:
    """What a call posted: the entries (a list of Postings only, in its order), their count and
    sum, and per supplier its balance and JIT status after them."""

    entries: list[LedgerEntry] = field(default_factory=list)
    count: int = 0
    amount: Decimal = ZERO
    balances: dict[int, Decimal] = field(default_factory=dict)
    jit_status: dict[int, str] = field(default_factory=dict)
    paused: int = 0
    resumed: int = 0


@functools.cache
def _entry_sequence() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence('suppliers_ledgerentry', 'id')")
        return str(cursor.fetchone()[0])


def entry_id_sql() -> str:
    """SQL that takes the next ledger entry id (PostgreSQL), for a `PostingQuery`'s caller whose
    own rows must point at entries it has not posted yet (the foreign keys are checked at
    commit, when the entries exist)."""
    return f"nextval('{_entry_sequence()}'::regclass)"


def ledger_post_many(
    postings: Sequence[Posting] | PostingQuery,
    *,
    actor: User | None,
    posted_at: datetime | None = None,
) -> Posted:
    """Post these entries in the current transaction (see the module's docstring), or none:
    a refused posting (a floor, a bank reference credited already) refuses them all."""
    at = posted_at or timezone.now()
    if isinstance(postings, PostingQuery):
        return _post_query(postings, actor, at)
    if not postings:
        return Posted()
    return _post_list(list(postings), actor, at)


def _lock(supplier_ids: Sequence[int]) -> dict[int, str]:
    """Lock the suppliers in id order (the order every posting takes): their JIT status."""
    return dict(
        Supplier.objects.select_for_update(no_key=True)
        .filter(pk__in=supplier_ids)
        .order_by("pk")
        .values_list("pk", "jit_status")
    )


def _balances(supplier_ids: Sequence[int]) -> dict[int, Decimal]:
    """The suppliers' balances, one aggregate over the ledger's (supplier, amount) index."""
    totals = dict(
        LedgerEntry.objects.filter(supplier_id__in=supplier_ids)
        .order_by()
        .values("supplier_id")
        .annotate(total=Sum("amount"))
        .values_list("supplier_id", "total")
    )
    return {s: Decimal(totals.get(s) or ZERO).quantize(CENT) for s in supplier_ids}


def _below_floor(balance: Decimal, posting: Posting) -> DomainError:
    floor = posting.floor
    assert floor is not None
    return DomainError(
        "insufficient_balance",
        _("This would leave %(balance)s CNY, below the %(floor)s CNY this deposit must keep.")
        % {"balance": balance, "floor": floor},
        fields={
            "amount": [_("At most %(amount)s CNY.") % {"amount": balance - posting.amount - floor}]
        },
    )


def _insert(postings: list[Posting], actor: User | None, at: datetime) -> list[LedgerEntry]:
    rows = [
        LedgerEntry(
            supplier_id=p.supplier_id,
            kind=p.kind,
            amount=p.amount,
            reference_type_id=p.reference_type_id,
            reference_id=p.reference_id,
            corrects_id=p.corrects_id,
            memo=p.memo,
            bank_reference=p.bank_reference,
            posted_by_id=actor.pk if actor is not None else None,
            posted_at=at,
        )
        for p in postings
    ]
    try:
        with transaction.atomic():
            return LedgerEntry.objects.bulk_create(rows)
    except IntegrityError:
        for p in postings:
            if (
                p.kind == Kind.TOP_UP
                and LedgerEntry.objects.filter(
                    supplier_id=p.supplier_id, kind=Kind.TOP_UP, bank_reference=p.bank_reference
                ).exists()
            ):
                raise DomainError(
                    "duplicate_top_up",
                    _("A top-up with bank reference %(reference)s is already on this ledger.")
                    % {"reference": p.bank_reference},
                    fields={"bank_reference": [_("Already credited.")]},
                ) from None
        raise


def _post_list(postings: list[Posting], actor: User | None, at: datetime) -> Posted:
    postings = [replace(p, amount=Decimal(p.amount).quantize(CENT)) for p in postings]
    supplier_ids = sorted({p.supplier_id for p in postings})
    posted = Posted()
    with transaction.atomic():
        statuses = _lock(supplier_ids)
        running = _balances(supplier_ids)
        after = dict(running)
        for p in postings:
            after[p.supplier_id] += p.amount
            if p.floor is not None and after[p.supplier_id] < p.floor:
                raise _below_floor(after[p.supplier_id], p)
        entries = _insert(postings, actor, at)
        events: list[NewEvent] = []
        moves: dict[int, str] = {}
        for entry in entries:  # in id order, as posted one after another
            supplier_id = entry.supplier_id
            balance = running[supplier_id] = running[supplier_id] + entry.amount
            events.append(
                NewEvent(
                    LEDGER_EVENT,
                    actor,
                    subject=entry,
                    supplier_id=supplier_id,
                    reason=entry.memo,
                    payload={
                        "kind": entry.kind,
                        "amount": str(entry.amount),
                        "balance": str(balance),
                    },
                )
            )
            move = jit_threshold_move(statuses[supplier_id], balance)
            if move is None:
                continue
            statuses[supplier_id] = move.target
            moves[supplier_id] = move.reason
            posted.paused += move is PAUSE
            posted.resumed += move is RESUME
            events.append(
                NewEvent(
                    move.event,
                    actor,
                    supplier_id=supplier_id,
                    reason=move.reason,
                    payload={"balance": str(balance)},
                )
            )
        for supplier_id, reason in sorted(moves.items()):
            Supplier.objects.filter(pk=supplier_id).update(
                jit_status=statuses[supplier_id],
                jit_status_reason=reason,
                jit_status_changed_at=at,
            )
        record_events(events)
    posted.entries = entries
    posted.count = len(entries)
    posted.amount = sum((e.amount for e in entries), ZERO)
    posted.balances = running
    posted.jit_status = statuses
    return posted


def _post_query(query: PostingQuery, actor: User | None, at: datetime) -> Posted:
    endpoints = [
        (endpoint.pk, kind)
        for endpoint in WebhookEndpoint.objects.filter(is_active=True, client__is_active=True).only(
            "id", "event_kinds"
        )
        for kind in (LEDGER_EVENT, PAUSE.event, RESUME.event)
        if endpoint.wants(kind)
    ]
    named: dict[str, Any] = {
        "entry_id": entry_id_sql(),
        "actor": actor.pk if actor is not None else None,
        "posted_at": at,
        "recorded_at": timezone.now(),
        "minimum": settings.JIT_MIN_DEPOSIT_CNY,
        "enrolled": Supplier.JitStatus.ENROLLED,
        "paused": Supplier.JitStatus.PAUSED,
        "in_jit": list(THRESHOLD_STATUSES),
        "pause_reason": PAUSE.reason,
        "resume_reason": RESUME.reason,
        "pause_event": PAUSE.event,
        "resume_event": RESUME.event,
        "ledger_event": LEDGER_EVENT,
        "entry_type": ContentType.objects.get_for_model(LedgerEntry).pk,
        "endpoint_ids": [pk for pk, _kind in endpoints],
        "endpoint_kinds": [kind for _pk, kind in endpoints],
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(LOCK_SQL.replace("{source}", query.sql), list(query.params))
        if not cursor.fetchall():
            return Posted()
        sql, params = _bind(POST_SQL.replace("{entry_id}", named.pop("entry_id")), named, query)
        cursor.execute(sql, params)
        count, amount, paused, resumed, deliveries = cursor.fetchone()
    if deliveries:
        from marketplace.tasks import dispatch_webhooks

        enqueue_on_commit(dispatch_webhooks)
    return Posted(count=count, amount=amount, paused=paused, resumed=resumed)


def _bind(template: str, named: dict[str, Any], query: PostingQuery) -> tuple[str, list[Any]]:
    """`%(name)s` placeholders to positional ones, the query's own at `{source}`."""
    params: list[Any] = []
    out: list[str] = []
    head, tail = template.split("{source}")
    for part, source in ((head, True), (tail, False)):
        rest = part
        while (start := rest.find("%(")) != -1:
            end = rest.index(")s", start)
            out.append(rest[:start] + "%s")
            params.append(named[rest[start + 2 : end]])
            rest = rest[end + 2 :]
        out.append(rest)
        if source:
            out.append(query.sql)
            params.extend(query.params)
    return "".join(out), params
