"""Fraud signals on test records, each with its reason, for the officers' queue and the KPIs.

A signal is open while its record is neither rejected nor superseded: an officer closes it by
rejecting the record (or a retest replaces it). Each signal is one annotation, so a page of
records, the queue and the count are each a single query whatever the number of records.

- `report_reused`: the same lab's report number, or the same number at another lab, is on a
  record of another supplier or another product;
- `file_reused`: the same report file (SHA-256) is on a record of another supplier or product;
- `lab_not_accredited`: the lab held no accreditation for the standard on the issue date;
- `before_product`: issued before the product was created in the catalogue;
- `result_contradicts`: a pass with a measured value outside its limits, or a fail whose
  measured values are all within them.

"Valid until before issued on" cannot happen: the database refuses such a record (the
`valid_after_issue` constraint), whichever door it comes through, so it has no signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from ..models import LabAccreditation, Measurement, TestRecord

CODES = (
    "report_reused",
    "file_reused",
    "lab_not_accredited",
    "before_product",
    "result_contradicts",
)


def code_labels() -> dict[str, str]:
    return {
        "report_reused": _("Report number used by another supplier or product"),
        "file_reused": _("Report file used by another supplier or product"),
        "lab_not_accredited": _("Lab not accredited for the standard on the issue date"),
        "before_product": _("Issued before the product existed"),
        "result_contradicts": _("Result contradicts the measured values"),
    }


def _elsewhere(**same: object) -> Q:
    return Q(**same) & (
        ~Q(supplier_id=OuterRef("supplier_id")) | ~Q(product_id=OuterRef("product_id"))
    )


def with_fraud_flags(queryset: QuerySet[TestRecord]) -> QuerySet[TestRecord]:
    """Each record with one boolean per signal, named `fraud_<code>`."""
    others = TestRecord.objects.exclude(pk=OuterRef("pk"))
    accredited = LabAccreditation.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=OuterRef("issued_on")),
        lab_id=OuterRef("lab_id"),
        standard_id=OuterRef("standard_id"),
        valid_from__lte=OuterRef("issued_on"),
    )
    outside = Measurement.objects.filter(
        record_id=OuterRef("pk"), verdict=Measurement.Verdict.OUTSIDE
    )
    measured = Measurement.objects.filter(record_id=OuterRef("pk"))
    return queryset.annotate(
        fraud_report_reused=Exists(
            others.filter(_elsewhere(report_number=OuterRef("report_number")))
        ),
        fraud_file_reused=_boolean(
            ~Q(report_sha256="")
            & Exists(
                others.exclude(report_sha256="").filter(
                    _elsewhere(report_sha256=OuterRef("report_sha256"))
                )
            )
        ),
        fraud_lab_not_accredited=~Exists(accredited),
        fraud_before_product=_boolean(Q(issued_on__lt=TruncDate(F("product__created_at")))),
        fraud_result_contradicts=_boolean(
            (Q(result=TestRecord.Result.PASS) & Exists(outside))
            | (Q(result=TestRecord.Result.FAIL) & Exists(measured) & ~Exists(outside))
        ),
    )


def _boolean(condition: Any) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


def _any_flag() -> Q:
    flags = Q()
    for code in CODES:
        flags |= Q(**{f"fraud_{code}": True})
    return flags


def open_records(queryset: QuerySet[TestRecord] | None = None) -> QuerySet[TestRecord]:
    base = TestRecord.objects.all() if queryset is None else queryset
    return base.exclude(status=TestRecord.Status.REJECTED).filter(superseded_by__isnull=True)


def suspect_records(
    queryset: QuerySet[TestRecord] | None = None, *, codes: Iterable[str] | None = None
) -> QuerySet[TestRecord]:
    """Open records with at least one signal (or one of `codes`), flags annotated."""
    flagged = with_fraud_flags(open_records(queryset))
    wanted = [code for code in (codes or CODES) if code in CODES]
    match = Q()
    for code in wanted:
        match |= Q(**{f"fraud_{code}": True})
    return flagged.filter(match if wanted else _any_flag())


@dataclass(frozen=True)
class FraudSignal:
    code: str
    reason: str
    record_id: int
    supplier_id: int
    product_id: int
    standard: str
    report_number: str
    recorded_at: datetime


def signals_of(record: TestRecord) -> list[tuple[str, str]]:
    """(code, reason) for each signal a record annotated by `with_fraud_flags` carries."""
    labels = code_labels()
    return [(code, labels[code]) for code in CODES if getattr(record, f"fraud_{code}", False)]


def _filtered(
    *,
    supplier_id: int | None = None,
    category_id: int | None = None,
    market: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[TestRecord]:
    records = TestRecord.objects.all()
    if supplier_id is not None:
        records = records.filter(supplier_id=supplier_id)
    if category_id is not None:
        records = records.filter(product__category_id=category_id)
    if market:
        records = records.filter(standard__market=market)
    if since is not None:
        records = records.filter(recorded_at__gte=since)
    if until is not None:
        records = records.filter(recorded_at__lt=until)
    return records


def fraud_signals(
    *,
    supplier_id: int | None = None,
    category_id: int | None = None,
    market: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    codes: Iterable[str] | None = None,
) -> list[FraudSignal]:
    """The open signals, one row per record and signal, newest record first (one query)."""
    records = suspect_records(
        _filtered(
            supplier_id=supplier_id,
            category_id=category_id,
            market=market,
            since=since,
            until=until,
        ),
        codes=codes,
    ).select_related("standard")
    wanted = set(codes or CODES)
    return [
        FraudSignal(
            code=code,
            reason=reason,
            record_id=record.pk,
            supplier_id=record.supplier_id,
            product_id=record.product_id,
            standard=record.standard.code,
            report_number=record.report_number,
            recorded_at=record.recorded_at,
        )
        for record in records.order_by("-recorded_at", "-id")
        for code, reason in signals_of(record)
        if code in wanted
    ]


def fraud_signal_count(**filters: object) -> int:
    """How many open signals (a record with two signals counts two)."""
    return len(fraud_signals(**filters))  # type: ignore[arg-type]
