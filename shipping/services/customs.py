"""Customs decisions for parcels (SPEC, "Customs and de minimis"): each parcel judged by the rules
in force on its ship date (customs.selectors.judge), the decision written with the rule it used
and its arithmetic. Set-based: the rules are loaded once per ship date, the parcels and their
items read in chunks, the decisions upserted in bulk.

A parcel's ship date is the day it departed the origin (or, before that, was picked up), in the
platform's time zone; a parcel not yet picked up is judged as if it shipped today, and judged
again when its ship date moves (`customs_decide_due`, run by beat)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from itertools import islice

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import DateField, F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from customs.selectors.judge import (
    CustomsAnswer,
    ItemFacts,
    ParcelFacts,
    RuleBook,
    judge,
    rulebook_on,
)

from ..models import CustomsDecision, Parcel, ParcelItem

CHUNK = 5000
# What a new decision overwrites (the SQLite fallback's bulk upsert).
UPDATED_FIELDS = [
    "ship_date",
    "rule",
    "outcome",
    "currency",
    "customs_value",
    "duty",
    "tax",
    "tax_at_sale",
    "arithmetic",
    "decided_at",
]


def ship_date_of(departed_origin_at: datetime | None, picked_up_at: datetime | None) -> date:
    moment = departed_origin_at or picked_up_at
    if moment is None:
        return timezone.localdate(timezone=timezone.get_default_timezone())
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def with_ship_date(parcels: QuerySet[Parcel]) -> QuerySet[Parcel]:
    """Annotates `ship_day`: ship_date_of in SQL."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate(timezone=zone)
    return parcels.annotate(
        ship_day=Coalesce(
            TruncDate(Coalesce("departed_origin_at", "picked_up_at"), tzinfo=zone),
            Value(today, output_field=DateField()),
        )
    )


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, size)):
        yield chunk


def parcels_decide(
    parcels: Iterable[int] | QuerySet[Parcel], *, ship_date: date | None = None
) -> int:
    """Writes (or rewrites) the customs decision of each parcel, judged on `ship_date` when given
    (a replay), else on each parcel's own ship date. Returns how many were decided."""
    if isinstance(parcels, QuerySet):
        ids: Iterable[int] = list(parcels.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(set(parcels))
    books: dict[date, RuleBook] = {}
    answers: dict[ParcelFacts, CustomsAnswer] = {}
    ioss = settings.PLATFORM_IOSS_REGISTERED
    decided = 0
    for chunk in _chunks(ids, CHUNK):
        items: dict[int, list[ItemFacts]] = defaultdict(list)
        for parcel_id, hs_code, origin, quantity, unit_value in (
            ParcelItem.objects.filter(parcel_id__in=chunk)
            .order_by("parcel_id", "id")
            .values_list("parcel_id", "hs_code", "origin_country", "quantity", "unit_value")
        ):
            items[parcel_id].append(ItemFacts(hs_code, origin, quantity, unit_value))
        decisions: list[tuple[int, date, CustomsAnswer]] = []
        for parcel_id, market, country, channel, departed, picked in (
            Parcel.objects.filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "market", "country", "channel", "departed_origin_at", "picked_up_at")
        ):
            day = ship_date or ship_date_of(departed, picked)
            if day not in books:
                books[day] = rulebook_on(day)
            facts = ParcelFacts(
                market=market,
                country=country,
                channel=channel,
                items=tuple(items[parcel_id]),
                ship_date=day,
                ioss_registered=ioss,
            )
            # Parcels with the same facts get the same answer: each judged once.
            answer = answers.get(facts)
            if answer is None:
                answer = answers[facts] = judge(facts, books[day])
            decisions.append((parcel_id, day, answer))
        _write(decisions, timezone.now())
        decided += len(decisions)
    return decided


def _write(decisions: list[tuple[int, date, CustomsAnswer]], now: datetime) -> None:
    """Upserts the decisions: on PostgreSQL copied into a temporary table and merged in one
    statement (the arithmetic serialized once per distinct answer); elsewhere by bulk_create."""
    if connection.vendor != "postgresql":
        CustomsDecision.objects.bulk_create(
            [
                CustomsDecision(
                    parcel_id=parcel_id,
                    ship_date=day,
                    rule_id=answer.rule_id,
                    outcome=answer.outcome.value,
                    currency=answer.currency,
                    customs_value=answer.customs_value,
                    duty=answer.duty,
                    tax=answer.tax,
                    tax_at_sale=answer.tax_at_sale,
                    arithmetic=answer.steps,
                    decided_at=now,
                )
                for parcel_id, day, answer in decisions
            ],
            update_conflicts=True,
            unique_fields=["parcel"],
            update_fields=UPDATED_FIELDS,
        )
        return
    serialized: dict[int, str] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for parcel_id, day, answer in decisions:
        steps = serialized.get(id(answer))
        if steps is None:
            steps = serialized[id(answer)] = json.dumps(answer.steps, cls=DjangoJSONEncoder)
        writer.writerow(
            [
                parcel_id,
                day.isoformat(),
                answer.rule_id,
                answer.outcome.value,
                answer.currency,
                answer.customs_value,
                answer.duty,
                answer.tax,
                "t" if answer.tax_at_sale else "f",
                steps,
                now.isoformat(),
            ]
        )
    buffer.seek(0)
    table = CustomsDecision._meta.db_table
    columns = (
        "parcel_id, ship_date, rule_id, outcome, currency, customs_value, duty, tax, "
        "tax_at_sale, arithmetic, decided_at"
    )
    updates = ", ".join(
        f"{column} = EXCLUDED.{column}" for column in columns.split(", ") if column != "parcel_id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE customs_decision_in ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.cursor.copy_expert(
            f"COPY customs_decision_in ({columns}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM customs_decision_in "  # noqa: S608
            f"ON CONFLICT (parcel_id) DO UPDATE SET {updates}"
        )
        # Dropped now as well: inside an outer transaction it would outlive this call.
        cursor.execute("DROP TABLE customs_decision_in")


def parcels_due_for_decision() -> QuerySet[Parcel]:
    """Parcels with no decision yet, or whose ship date moved since theirs."""
    return (
        with_ship_date(Parcel.objects.all())
        .filter(Q(customs__isnull=True) | ~Q(customs__ship_date=F("ship_day")))
        .order_by()
    )


def customs_decide_due() -> int:
    """The beat job's work: decide the parcels due (see parcels_due_for_decision)."""
    return parcels_decide(parcels_due_for_decision())
