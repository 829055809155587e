"""Expiry (SPEC, "Compliance"): warnings before a required test or certificate of a live listing
expires, and the listing's lapse (and restoration) per market when the answer changes.

Both are set-based and idempotent: the daily job (compliance.tasks.compliance_expiry_task) runs
them, and `refresh_listing_market_status` may be called right after a record changes (with the
listings it concerns) so a restoration does not wait for the night.

- `send_expiry_warnings`: for each threshold of COMPLIANCE_EXPIRY_WARNING_DAYS (30 and 7), a
  supplier is told once per record (or certificate) that it expires within that many days: an
  event `compliance.test_expiring` or `compliance.certificate_expiring` (portal notification
  and webhook), and an `ExpiryWarning`
  row that keeps it from being sent again. A record first seen inside both windows gets one
  warning (the nearer threshold) and both thresholds are kept as sent.
- `refresh_listing_market_status`: the compliance answer for every live listing in each market
  it is priced in, kept in `ListingMarketStatus`; a change from sellable to not is a
  `compliance.lapsed` event (with the reasons), the way back a `compliance.restored`. The first
  snapshot of a pair records it without an event (it was never seen sellable)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation

from marketplace.events import NewEvent, record_events
from marketplace.jobs import JobProgress

from ..models import (
    Certificate,
    ExpiryWarning,
    ListingMarketStatus,
    ProgrammeRequirement,
    TestRecord,
    listing_model,
)
from ..selectors.answer import Answer, compliance_answers, counting_records

if TYPE_CHECKING:
    from accounts.models import User
    from catalogue.models import Listing

REFRESH_CHUNK = 2000


def thresholds() -> list[int]:
    return sorted({int(days) for days in settings.COMPLIANCE_EXPIRY_WARNING_DAYS}, reverse=True)


# --- Warnings ---------------------------------------------------------------------------------


def _requirement_in_force(today: date) -> Q:
    return Q(programme__effective_from__lte=today) & (
        Q(programme__effective_to__isnull=True) | Q(programme__effective_to__gte=today)
    )


def expiring_records(today: date, *, within: int) -> QuerySet[TestRecord]:
    """Counting passing records still in date that expire within `within` days, of a product a
    supplier sells live, to a standard a programme in force requires of the product's category
    (its own, its parent's, or every product's), with no later counting pass to the same
    standard that replaces it."""
    at = timezone.now()
    live = listing_model().objects.filter(
        product_id=OuterRef("product_id"), supplier_id=OuterRef("supplier_id"), status="live"
    )
    required = ProgrammeRequirement.objects.filter(
        _requirement_in_force(today),
        Q(programme__category_id=OuterRef("product__category_id"))
        | Q(programme__category_id=OuterRef("product__category__parent_id"))
        | Q(programme__category__isnull=True),
        standard_id=OuterRef("standard_id"),
    ).exclude(evidence=ProgrammeRequirement.Evidence.LISTING_DETAILS)
    newer = counting_records(at).filter(
        product_id=OuterRef("product_id"),
        supplier_id=OuterRef("supplier_id"),
        standard_id=OuterRef("standard_id"),
        result=TestRecord.Result.PASS,
        valid_until__gt=OuterRef("valid_until"),
    )
    return counting_records(at).filter(
        Exists(live),
        Exists(required),
        ~Exists(newer),
        result=TestRecord.Result.PASS,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=within),
    )


def expiring_certificates(today: date, *, within: int) -> QuerySet[Certificate]:
    """Verified certificates expiring within `within` days that cover a product its supplier
    sells live and a standard a programme in force accepts a certificate for."""
    live = listing_model().objects.filter(
        product__certificates=OuterRef("pk"), supplier_id=OuterRef("supplier_id"), status="live"
    )
    required = ProgrammeRequirement.objects.filter(
        _requirement_in_force(today),
        standard__certificates=OuterRef("pk"),
        evidence__in=[
            ProgrammeRequirement.Evidence.CERTIFICATE,
            ProgrammeRequirement.Evidence.TEST_OR_CERTIFICATE,
        ],
    )
    return Certificate.objects.filter(
        Exists(live),
        Exists(required),
        status=Certificate.Status.VERIFIED,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=within),
    )


@dataclass(frozen=True)
class _Due:
    subject: TestRecord | Certificate
    days: int  # the nearest threshold crossed (the warning's)
    crossed: list[int]  # every threshold crossed and not yet sent


def _due(
    subjects: Iterable[TestRecord | Certificate], sent: dict[int, set[int]], today: date
) -> list[_Due]:
    due = []
    for subject in subjects:
        left = (subject.valid_until - today).days
        crossed = [days for days in thresholds() if left <= days]
        unsent = [days for days in crossed if days not in sent.get(subject.pk, set())]
        if unsent:
            due.append(_Due(subject, min(unsent), unsent))
    return due


def send_expiry_warnings(*, today: date | None = None, actor: User | None = None) -> int:
    """Warn suppliers of their required records and certificates about to expire, each
    threshold once. A fixed number of queries, whatever the number of records. Returns the
    number of warnings sent."""
    today = today or timezone.localdate()
    within = max(thresholds(), default=0)
    if within <= 0:
        return 0
    with transaction.atomic():
        # Locked, so two runs at once cannot both send the same warning.
        records = list(
            TestRecord.objects.filter(pk__in=expiring_records(today, within=within).values("pk"))
            .select_related("standard")
            .select_for_update(of=("self",))
            .order_by("pk")
        )
        certificates = list(
            Certificate.objects.filter(
                pk__in=expiring_certificates(today, within=within).values("pk")
            )
            .select_for_update()
            .order_by("pk")
        )
        record_sent: dict[int, set[int]] = defaultdict(set)
        certificate_sent: dict[int, set[int]] = defaultdict(set)
        for record_id, certificate_id, days in ExpiryWarning.objects.filter(
            Q(test_record__in=records) | Q(certificate__in=certificates)
        ).values_list("test_record_id", "certificate_id", "days"):
            if record_id is not None:
                record_sent[record_id].add(days)
            else:
                certificate_sent[certificate_id].add(days)
        due_records = _due(records, record_sent, today)
        due_certificates = _due(certificates, certificate_sent, today)
        if not due_records and not due_certificates:
            return 0
        listings = _live_listings_of(
            {(d.subject.product_id, d.subject.supplier_id) for d in due_records}  # type: ignore[union-attr]
        )
        certificate_standards = _standards_of([d.subject for d in due_certificates])
        rows, events = [], []
        for item in due_records:
            record: TestRecord = item.subject  # type: ignore[assignment]
            rows += [
                ExpiryWarning(test_record=record, days=days, valid_until=record.valid_until)
                for days in item.crossed
            ]
            events.append(
                NewEvent(
                    "compliance.test_expiring",
                    actor=actor,
                    supplier_id=record.supplier_id,
                    subject=record,
                    payload={
                        "test_record": record.pk,
                        "standard": record.standard.code,
                        "report_number": record.report_number,
                        "valid_until": record.valid_until.isoformat(),
                        "days": item.days,
                        "days_left": (record.valid_until - today).days,
                        "listings": listings.get((record.product_id, record.supplier_id), []),
                    },
                )
            )
        for item in due_certificates:
            certificate: Certificate = item.subject  # type: ignore[assignment]
            rows += [
                ExpiryWarning(
                    certificate=certificate, days=days, valid_until=certificate.valid_until
                )
                for days in item.crossed
            ]
            events.append(
                NewEvent(
                    "compliance.certificate_expiring",
                    actor=actor,
                    supplier_id=certificate.supplier_id,
                    subject=certificate,
                    payload={
                        "certificate": certificate.pk,
                        "number": certificate.number,
                        "standards": certificate_standards.get(certificate.pk, []),
                        "valid_until": certificate.valid_until.isoformat(),
                        "days": item.days,
                        "days_left": (certificate.valid_until - today).days,
                    },
                )
            )
        ExpiryWarning.objects.bulk_create(rows)
        record_events(events)
    return len(events)


def _live_listings_of(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    """The live listings of each (product, supplier): one query."""
    if not pairs:
        return {}
    condition = Q()
    for product_id, supplier_id in pairs:
        condition |= Q(product_id=product_id, supplier_id=supplier_id)
    found: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, product_id, supplier_id in (
        listing_model()
        .objects.filter(condition, status="live")
        .order_by("pk")
        .values_list("pk", "product_id", "supplier_id")
    ):
        found[(product_id, supplier_id)].append(pk)
    return found


def _standards_of(certificates: list[Any]) -> dict[int, list[str]]:
    if not certificates:
        return {}
    through = Certificate.standards.through
    found: dict[int, list[str]] = defaultdict(list)
    for certificate_id, code in (
        through.objects.filter(certificate__in=certificates)
        .order_by("standard__code")
        .values_list("certificate_id", "standard__code")
    ):
        found[certificate_id].append(code)
    return found


# --- Lapse and restoration --------------------------------------------------------------------


def _reasons_json(answer: Answer) -> list[dict[str, Any]]:
    """The reasons that stop the sale, language-neutral (codes, standard, date, fields)."""
    rows = []
    for reason in answer.reasons:
        if "sell" not in reason.blocks:
            continue
        row: dict[str, Any] = {"code": reason.code}
        if getattr(reason, "standard", None):
            row["standard"] = reason.standard
        on = getattr(reason, "on", None)
        if on is not None:
            row["on"] = on.isoformat()
        if getattr(reason, "fields", None):
            row["fields"] = list(reason.fields)
        rows.append(row)
    return rows


def _reason_text(answer: Answer) -> str:
    with translation.override("en"):
        return "; ".join(str(r.message) for r in answer.reasons if "sell" in r.blocks)[:300]


def refresh_listing_market_status(
    listings: QuerySet[Listing] | None = None,
    *,
    at: datetime | None = None,
    actor: User | None = None,
    progress: JobProgress | None = None,
) -> tuple[int, int]:
    """Recompute the answer of the given live listings (all live listings when none are given)
    in each market they are priced in, keep it, and tell each change: `compliance.lapsed`
    when a pair stops being sellable, `compliance.restored` when it comes back. Works in
    chunks of REFRESH_CHUNK listings, a fixed number of queries each, counting the listings
    done on `progress` (the daily job's run, which operators watch). Returns (lapsed,
    restored)."""
    model = listing_model()
    base = model.objects.all() if listings is None else listings
    ids = list(base.filter(status="live").order_by("pk").values_list("pk", flat=True))
    if progress is not None:
        progress.set_total(len(ids))
    lapsed = restored = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        chunk_lapsed, chunk_restored = _refresh_chunk(chunk, at=at or timezone.now(), actor=actor)
        lapsed += chunk_lapsed
        restored += chunk_restored
        if progress is not None:
            progress.advance(len(chunk))
    return lapsed, restored


def _refresh_chunk(ids: list[int], *, at: datetime, actor: User | None) -> tuple[int, int]:
    model = listing_model()
    rows = (
        model.objects.filter(pk__in=ids, prices__isnull=False)
        .order_by()
        .values_list("pk", "prices__market", "supplier_id")
    )
    pairs = {(pk, market): supplier_id for pk, market, supplier_id in rows}
    if not pairs:
        return 0, 0
    markets = sorted({market for _pk, market in pairs})
    answers = compliance_answers(model.objects.filter(pk__in=ids), markets, at=at)
    lapsed = restored = 0
    with transaction.atomic():
        known = {
            (row.listing_id, row.market): row
            for row in ListingMarketStatus.objects.select_for_update().filter(listing_id__in=ids)
        }
        new_rows, changed, checked, events = [], [], [], []
        for (pk, market), supplier_id in sorted(pairs.items()):
            answer = answers[(pk, market)]
            reasons = _reasons_json(answer)
            row = known.get((pk, market))
            if row is None:
                new_rows.append(
                    ListingMarketStatus(
                        listing_id=pk,
                        market=market,
                        may_sell=answer.may_sell,
                        reasons=reasons,
                        changed_at=at,
                        checked_at=at,
                    )
                )
                continue
            if row.may_sell == answer.may_sell and row.reasons == reasons:
                checked.append(row.pk)
                continue
            if row.may_sell != answer.may_sell:
                row.changed_at = at
                if answer.may_sell:
                    restored += 1
                    events.append(
                        NewEvent(
                            "compliance.restored",
                            actor=actor,
                            supplier_id=supplier_id,
                            subject=row,
                            payload={"listing": pk, "market": market},
                        )
                    )
                else:
                    lapsed += 1
                    events.append(
                        NewEvent(
                            "compliance.lapsed",
                            actor=actor,
                            supplier_id=supplier_id,
                            subject=row,
                            reason=_reason_text(answer),
                            payload={"listing": pk, "market": market, "reasons": reasons},
                        )
                    )
            row.may_sell = answer.may_sell
            row.reasons = reasons
            row.checked_at = at
            changed.append(row)
        # A refresh running at the same time may have made the same first rows: keep theirs.
        ListingMarketStatus.objects.bulk_create(new_rows, ignore_conflicts=True)
        ListingMarketStatus.objects.bulk_update(
            changed, ["may_sell", "reasons", "changed_at", "checked_at"]
        )
        if checked:
            ListingMarketStatus.objects.filter(pk__in=checked).update(checked_at=at)
        record_events(events)
    return lapsed, restored


def refresh_after_record(record: TestRecord | Certificate, *, actor: User | None = None) -> None:
    """Right after a record or certificate changes (posted, verified, rejected, superseded):
    refresh the live listings it concerns, so a restoration shows at once."""
    if isinstance(record, TestRecord):
        listings = listing_model().objects.filter(
            product_id=record.product_id, supplier_id=record.supplier_id
        )
    else:
        listings = listing_model().objects.filter(
            product__certificates=record, supplier_id=record.supplier_id
        )
    refresh_listing_market_status(listings, actor=actor)
