"""The one answer to "may this listing be sold / shipped in this market, at this moment, and if not,
why?" (SPEC, "Compliance: third-party testing", Gates; issue 12).

Judged by the rules in force on the day asked about (effective-dated programmes and standards) and
the evidence that counted at that moment, so a past `at` replays the answer given then:

- a test record counts when it is verified (verified_at <= at), was recorded by then, and was not
  superseded at that moment; for each required standard the latest counting record (issued on,
  then recorded) decides: a pass in date satisfies it, a pass out of date is `test_expired`, a
  fail `test_failed`, an inconclusive result `test_inconclusive`;
- a requirement flagged `cpsc_accepted` only reads records from CPSC-accepted labs (others make
  it `lab_not_accepted`);
- a certificate counts when verified (checked_at <= at) and in date; the best one decides (in
  date and verified, else unverified, else expired, else rejected); from
  settings.EFILING_REQUIRED_FROM a requirement flagged `efiling` needs every one of
  Certificate.EFILING_FIELDS on it (`efiling_data_missing` names the missing ones);
- in a high-risk category a certificate never stands in for a test (`test_or_certificate` then
  needs a passing lab test);
- `listing_details` (GPSR) needs the listing's manufacturer and EU responsible person;
- a category's own programme in a market replaces the general one: the listing's category's
  programme in force, else its parent category's, else the programme without a category;
- whatever the programme: a suspended supplier may not sell (it may still ship what was sold),
  a market hold in force or an open critical audit finding blocks selling and shipping.

The supplier's status is read as it is now (suppliers keep no status history).

`compliance_answer` costs two queries (the rules, then one row of evidence); `compliance_answers`
a fixed handful of queries whatever the number of listings. Reason messages are rendered when
read, in the active language: every door (API, portal, admin, errors) shows the same sentence.
"""

# The hand-written query of `_evidence_row` interpolates only table names (from the models),
# market codes (checked against Market) and its own placeholders; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from marketplace.errors import DomainError, ErrorKind
from marketplace.markets import Market
from suppliers.models import Supplier

from ..models import (
    Audit,
    Certificate,
    CorrectiveAction,
    Finding,
    Lab,
    MarketHold,
    ProgrammeRequirement,
    TestProgramme,
    TestRecord,
)

if TYPE_CHECKING:
    from catalogue.models import Listing

SELL = "sell"
SHIP = "ship"
SELL_ONLY = frozenset({SELL})
SELL_AND_SHIP = frozenset({SELL, SHIP})

Evidence = ProgrammeRequirement.Evidence
CPSC = ProgrammeRequirement.LabFlag.CPSC_ACCEPTED

# The listing's GPSR fields, in the order a reason names them.
GPSR_FIELDS = ("gpsr_manufacturer", "eu_responsible_person")

# How each field a reason names reads for people (the models' own labels).
FIELD_LABELS: dict[str, Any] = {
    "rules_cited": _("rules cited"),
    "certifier": _("certifier"),
    "manufactured_on": _("date of manufacture"),
    "manufactured_at": _("place of manufacture"),
    "last_tested_on": _("date of last test"),
    "last_tested_at": _("place of last test"),
    "test_lab": _("lab"),
    "records_keeper": _("records keeper"),
    "gpsr_manufacturer": _("manufacturer (GPSR)"),
    "eu_responsible_person": _("EU responsible person"),
}

# Every reason's sentence. Placeholders: standard, on (ISO date), fields (labels, joined).
MESSAGES: dict[str, Any] = {
    "supplier_suspended": _("The supplier is suspended: it may not sell."),
    "market_hold": _("Held off sale in this market since %(on)s."),
    "critical_finding_open": _(
        "A critical audit finding (audit of %(on)s) has no closed corrective action."
    ),
    "test_missing": _("No passing test to %(standard)s."),
    "test_failed": _("The test to %(standard)s failed (issued %(on)s)."),
    "test_expired": _("The test to %(standard)s expired on %(on)s."),
    "test_inconclusive": _("The test to %(standard)s was inconclusive (issued %(on)s)."),
    "lab_not_accepted": _("The test to %(standard)s is not from a CPSC-accepted lab."),
    "certificate_missing": _("No verified certificate for %(standard)s."),
    "certificate_unverified": _("The certificate for %(standard)s is not verified yet."),
    "certificate_rejected": _("The certificate for %(standard)s was rejected."),
    "certificate_expired": _("The certificate for %(standard)s expired on %(on)s."),
    "efiling_data_missing": _("The certificate for %(standard)s lacks eFiling data: %(fields)s."),
    "gpsr_details_missing": _("The listing lacks its GPSR details: %(fields)s."),
}

REASON_CODES = tuple(MESSAGES)


@dataclass(frozen=True)
class Reason:
    """Why a listing may not be sold (or shipped) in a market. `message` is rendered when read,
    in the active language."""

    code: str
    blocks: frozenset[str] = SELL_AND_SHIP
    standard: str | None = None
    on: date | None = None
    fields: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return render_reason(self)


def render_reason(reason: Reason) -> str:
    """The one sentence every door shows for a reason, in the active language."""
    template = MESSAGES.get(reason.code)
    if template is None:
        return reason.code
    labels = [str(FIELD_LABELS.get(name, name)) for name in reason.fields]
    return gettext(str(template)) % {
        "standard": reason.standard or "",
        "on": reason.on.isoformat() if reason.on else "",
        "fields": ", ".join(labels),
    }


@dataclass(frozen=True)
class Answer:
    listing_id: int
    market: str
    at: datetime
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    @property
    def may_sell(self) -> bool:
        return not any(SELL in reason.blocks for reason in self.reasons)

    @property
    def may_ship(self) -> bool:
        return not any(SHIP in reason.blocks for reason in self.reasons)

    @property
    def holds(self) -> bool:
        """Whether the listing may be sold here (what the gates ask)."""
        return self.may_sell


# --- The rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    standard_id: int
    standard: str
    evidence: str
    lab_flag: str
    efiling: bool

    @property
    def needs_test(self) -> bool:
        return self.evidence in (Evidence.LAB_TEST, Evidence.TEST_OR_CERTIFICATE)

    @property
    def needs_certificate(self) -> bool:
        return self.evidence in (Evidence.CERTIFICATE, Evidence.TEST_OR_CERTIFICATE)


def check_market(market: str) -> str:
    """The market, or a DomainError naming `market` when the system doesn't know it."""
    if market not in Market.values:
        raise DomainError(
            "unknown_market",
            gettext("Unknown market %(market)s.") % {"market": market},
            kind=ErrorKind.INVALID,
            fields={
                "market": [
                    gettext("Choose one of: %(markets)s.") % {"markets": ", ".join(Market.values)}
                ]
            },
        )
    return market


def _moment(at: datetime | None) -> tuple[datetime, date]:
    moment = at or timezone.now()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment, timezone.localdate(moment)


def _programmes(
    day: date, markets: Iterable[str], categories: Q | None = None
) -> dict[tuple[str, int | None], tuple[Rule, ...]]:
    """The programmes in force on `day` in the markets, as (market, category id or None) -> its
    rules (standards in force that day), one query. Of two programmes in force for the same
    category and market, the later-starting one applies."""
    rows = TestProgramme.objects.in_force(day).filter(market__in=list(markets))
    if categories is not None:
        rows = rows.filter(categories)
    found: dict[tuple[str, int | None], tuple[date, int, list[Rule]]] = {}
    for row in rows.values(
        "id",
        "market",
        "category_id",
        "effective_from",
        "requirements__standard_id",
        "requirements__standard__code",
        "requirements__standard__effective_from",
        "requirements__standard__effective_to",
        "requirements__evidence",
        "requirements__lab_flag",
        "requirements__efiling",
    ).order_by("market", "category_id", "-effective_from", "-id", "requirements__standard__code"):
        key = (row["market"], row["category_id"])
        current = found.get(key)
        if current is None:
            current = found[key] = (row["effective_from"], row["id"], [])
        elif current[1] != row["id"]:
            continue  # an older programme for the same category and market
        standard_id = row["requirements__standard_id"]
        if standard_id is None:
            continue  # a programme without requirements (yet)
        start = row["requirements__standard__effective_from"]
        end = row["requirements__standard__effective_to"]
        if start > day or (end is not None and end < day):
            continue  # the standard is not in force that day
        current[2].append(
            Rule(
                standard_id=standard_id,
                standard=row["requirements__standard__code"],
                evidence=row["requirements__evidence"],
                lab_flag=row["requirements__lab_flag"] or "",
                efiling=bool(row["requirements__efiling"]),
            )
        )
    return {key: tuple(rules) for key, (_start, _id, rules) in found.items()}


def _rules_for(
    programmes: Mapping[tuple[str, int | None], tuple[Rule, ...]],
    market: str,
    category_id: int | None,
    parent_id: int | None,
) -> tuple[Rule, ...]:
    """The category's own programme replaces its parent's, which replaces the general one."""
    for key in ((market, category_id), (market, parent_id)):
        if key[1] is not None and key in programmes:
            return programmes[key]
    return programmes.get((market, None), ())


# --- The evidence ---------------------------------------------------------------------------


class TestSeen(NamedTuple):
    result: str
    issued_on: date
    valid_until: date


class CertificateSeen(NamedTuple):
    status: str  # as it stood at the moment asked about
    valid_until: date
    missing: tuple[str, ...]  # eFiling fields it lacks


def counting_records(at: datetime) -> QuerySet[TestRecord]:
    """Test records that counted at `at`: verified by then, recorded by then, not superseded."""
    return TestRecord.objects.filter(
        status=TestRecord.Status.VERIFIED, verified_at__lte=at, recorded_at__lte=at
    ).filter(
        Q(superseded_by__isnull=True, superseded_at__isnull=True)
        | Q(superseded_at__isnull=False, superseded_at__gt=at)
    )


RECORD_ORDER = ("-issued_on", "-recorded_at", "-id")


# The order certificates are preferred in: verified and in date, unverified, expired, rejected.
RANK_GOOD, RANK_UNVERIFIED, RANK_EXPIRED, RANK_REJECTED = 0, 1, 2, 3


def _certificate_rank(status: str, valid_until: date, day: date) -> int:
    if status == Certificate.Status.VERIFIED:
        return RANK_GOOD if valid_until >= day else RANK_EXPIRED
    if status == Certificate.Status.REJECTED:
        return RANK_REJECTED
    return RANK_UNVERIFIED


def _certificate_order(
    status: str, valid_until: date, issued_on: date, pk: int, day: date
) -> tuple[int, int, int, int]:
    """Which certificate of a pair counts: the best rank, then the latest valid until, the latest
    issued, the latest recorded; the smaller the better."""
    return (
        _certificate_rank(status, valid_until, day),
        -valid_until.toordinal(),
        -issued_on.toordinal(),
        -pk,
    )


def _as_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    parsed = parse_date(str(value)[:10])
    assert parsed is not None
    return parsed


# --- The judgement --------------------------------------------------------------------------


@dataclass(frozen=True)
class ListingFacts:
    listing_id: int
    high_risk: bool
    supplier_status: str
    gpsr: Mapping[str, str]


def _test_reason(rule: Rule, test: TestSeen | None, any_lab: bool, day: date) -> Reason | None:
    if test is None:
        if rule.lab_flag == CPSC and any_lab:
            return Reason("lab_not_accepted", standard=rule.standard)
        return Reason("test_missing", standard=rule.standard)
    if test.result == TestRecord.Result.PASS:
        if test.valid_until >= day:
            return None
        return Reason("test_expired", standard=rule.standard, on=test.valid_until)
    if test.result == TestRecord.Result.FAIL:
        return Reason("test_failed", standard=rule.standard, on=test.issued_on)
    return Reason("test_inconclusive", standard=rule.standard, on=test.issued_on)


def _certificate_reason(
    rule: Rule, cert: CertificateSeen | None, day: date, efiling_from: date
) -> Reason | None:
    if cert is None:
        return Reason("certificate_missing", standard=rule.standard)
    rank = _certificate_rank(cert.status, cert.valid_until, day)
    if rank == RANK_UNVERIFIED:
        return Reason("certificate_unverified", standard=rule.standard)
    if rank == RANK_REJECTED:
        return Reason("certificate_rejected", standard=rule.standard)
    if rank == RANK_EXPIRED:
        return Reason("certificate_expired", standard=rule.standard, on=cert.valid_until)
    if rule.efiling and day >= efiling_from and cert.missing:
        return Reason("efiling_data_missing", standard=rule.standard, fields=cert.missing)
    return None


@lru_cache(maxsize=65536)
def _requirement_reason(
    rule: Rule,
    high_risk: bool,
    missing: tuple[str, ...],
    test: TestSeen | None,
    any_lab: bool,
    cert: CertificateSeen | None,
    day: date,
    efiling_from: date,
) -> Reason | None:
    """Pure (and cached: many listings share a state): `missing` is the GPSR fields the listing
    lacks, `efiling_from` the setting EFILING_REQUIRED_FROM."""
    if rule.evidence == Evidence.LISTING_DETAILS:
        return (
            Reason("gpsr_details_missing", standard=rule.standard, fields=missing)
            if missing
            else None
        )
    if rule.evidence == Evidence.CERTIFICATE:
        return _certificate_reason(rule, cert, day, efiling_from)
    test_reason = _test_reason(rule, test, any_lab, day)
    if test_reason is None:
        return None
    if rule.evidence == Evidence.LAB_TEST or high_risk:
        return test_reason  # a certificate never stands in for a high-risk test
    cert_reason = _certificate_reason(rule, cert, day, efiling_from)
    if cert_reason is None:
        return None
    # Neither a test nor a certificate: tell about the evidence there is.
    if test is None and not any_lab and cert is not None:
        return cert_reason
    return test_reason


def _judge(
    facts: ListingFacts,
    market: str,
    at: datetime,
    day: date,
    rules: tuple[Rule, ...],
    tests: Mapping[int, tuple[TestSeen | None, TestSeen | None]],
    certificates: Mapping[int, CertificateSeen],
    held_since: datetime | None,
    finding_on: date | None,
    efiling_from: date | None = None,
) -> Answer:
    """`tests` maps a standard id to (latest counting record from any lab, from a CPSC-accepted
    lab); `certificates` a standard id to the best certificate; `efiling_from` the setting
    EFILING_REQUIRED_FROM (read once by a caller judging many)."""
    if efiling_from is None:
        efiling_from = settings.EFILING_REQUIRED_FROM
    reasons: list[Reason] = []
    if facts.supplier_status == Supplier.Status.SUSPENDED:
        reasons.append(Reason("supplier_suspended", blocks=SELL_ONLY))
    if held_since is not None:
        reasons.append(Reason("market_hold", on=timezone.localdate(held_since)))
    if finding_on is not None:
        reasons.append(Reason("critical_finding_open", on=finding_on))
    missing = tuple(name for name in GPSR_FIELDS if not (facts.gpsr.get(name) or "").strip())
    for rule in rules:
        any_test, cpsc_test = tests.get(rule.standard_id, (None, None))
        test = cpsc_test if rule.lab_flag == CPSC else any_test
        reason = _requirement_reason(
            rule,
            facts.high_risk,
            missing,
            test,
            any_test is not None,
            certificates.get(rule.standard_id),
            day,
            efiling_from,
        )
        if reason is not None:
            reasons.append(reason)
    return Answer(listing_id=facts.listing_id, market=market, at=at, reasons=tuple(reasons))


def _holds_in_force(at: datetime) -> Q:
    return Q(started_at__lte=at) & (Q(lifted_at__isnull=True) | Q(lifted_at__gt=at))


def _critical_open(at: datetime) -> QuerySet[Finding]:
    """Critical findings known at `at` whose corrective action was not closed by then."""
    closed = CorrectiveAction.objects.filter(
        finding=OuterRef("pk"), closed_at__isnull=False, closed_at__lte=at
    )
    return Finding.objects.filter(
        severity=Finding.Severity.CRITICAL, audit__recorded_at__lte=at
    ).exclude(Exists(closed))


# --- One listing: two queries ---------------------------------------------------------------


def compliance_answer(listing: Listing, market: str, *, at: datetime | None = None) -> Answer:
    """May `listing` be sold / shipped in `market` at `at` (now by default), and if not, why.
    `listing` comes with its product and category loaded. Two queries: the programmes in force,
    then one row holding the supplier's status, holds, findings and the evidence per standard."""
    return listing_answers(listing, [market], at=at).answers[market]


@dataclass(frozen=True)
class ListingAnswers:
    """One listing's answers in some markets, and the markets it has a retail price in."""

    answers: dict[str, Answer]
    priced: frozenset[str]
    # The markets where a programme in force applies to the listing.
    regulated: frozenset[str] = frozenset()

    def holding(self, markets: Iterable[str] | None = None) -> list[str]:
        """The markets (of `markets`, all asked by default) where it may be sold."""
        wanted = self.answers if markets is None else markets
        return [m for m in wanted if m in self.answers and self.answers[m].may_sell]


def listing_answers(
    listing: Listing, markets: Iterable[str], *, at: datetime | None = None
) -> ListingAnswers:
    """`compliance_answer` for several markets at once, still two queries; with the markets the
    listing is priced in (read in the same row), for the gates."""
    markets = [check_market(market) for market in dict.fromkeys(markets)]
    moment, day = _moment(at)
    category = listing.product.category
    categories = Q(category__isnull=True) | Q(category_id=category.pk)
    if category.parent_id is not None:
        categories |= Q(category_id=category.parent_id)
    programmes = _programmes(day, markets, categories)
    rules_by_market = {
        market: _rules_for(programmes, market, category.pk, category.parent_id)
        for market in markets
    }
    # One set of evidence per standard, whatever the markets asking for it.
    wants_test: set[int] = set()
    wants_cpsc: set[int] = set()
    wants_certificate: set[int] = set()
    for market_rules in rules_by_market.values():
        for rule in market_rules:
            if rule.needs_test:
                wants_test.add(rule.standard_id)
                if rule.lab_flag == CPSC:
                    wants_cpsc.add(rule.standard_id)
            if rule.needs_certificate:
                wants_certificate.add(rule.standard_id)

    found = _evidence_row(
        listing,
        markets,
        category_id=category.pk,
        parent_id=category.parent_id,
        wants_test=sorted(wants_test),
        wants_cpsc=wants_cpsc,
        wants_certificate=sorted(wants_certificate),
        moment=moment,
        day=day,
    )
    tests: dict[int, tuple[TestSeen | None, TestSeen | None]] = {}
    certificates: dict[int, CertificateSeen] = {}
    for standard_id in wants_test:
        tests[standard_id] = (
            _test_from_text(found.get(f"t{standard_id}")),
            _test_from_text(found.get(f"c{standard_id}")),
        )
    for standard_id in wants_certificate:
        seen = _certificate_from_text(found.get(f"k{standard_id}"))
        if seen is not None:
            certificates[standard_id] = seen
    facts = ListingFacts(
        listing_id=listing.pk,
        high_risk=category.risk_level == "high",
        supplier_status=found["supplier_status"],
        gpsr={name: getattr(listing, name, "") for name in GPSR_FIELDS},
    )
    finding_on = found["finding_on"]
    answers = {
        market: _judge(
            facts,
            market,
            moment,
            day,
            rules_by_market[market],
            tests,
            certificates,
            _as_datetime(found[f"held_{market.lower()}"]),
            _as_date(finding_on) if finding_on is not None else None,
        )
        for market in markets
    }
    return ListingAnswers(
        answers=answers,
        priced=frozenset(market for market in markets if found[f"priced_{market.lower()}"]),
        regulated=frozenset(market for market in markets if rules_by_market[market]),
    )


def _evidence_row(
    listing: Listing,
    markets: list[str],
    *,
    category_id: int,
    parent_id: int | None,
    wants_test: list[int],
    wants_cpsc: set[int],
    wants_certificate: list[int],
    moment: datetime,
    day: date,
) -> dict[str, Any]:
    """The second query of `listing_answers`: one row (from the supplier's) with the supplier's
    status, each market's hold in force and retail price, the open critical finding, and per
    standard the latest counting record (from any lab, from a CPSC-accepted one) and the best
    certificate, each as text. Written by hand (portable SQL: SQLite and PostgreSQL): the
    same judgement as `compliance_answers`' queries, without the ORM's cost of composing a
    dozen subqueries on an order's hot path."""
    from django.apps import apps
    from django.db import connection

    ops = connection.ops
    at = ops.adapt_datetimefield_value(moment)
    on = ops.adapt_datefield_value(day)
    table = {
        "supplier": Supplier._meta.db_table,
        "hold": MarketHold._meta.db_table,
        "price": apps.get_model("catalogue", "ListingPrice")._meta.db_table,
        "finding": Finding._meta.db_table,
        "audit": Audit._meta.db_table,
        "action": CorrectiveAction._meta.db_table,
        "record": TestRecord._meta.db_table,
        "lab": Lab._meta.db_table,
        "certificate": Certificate._meta.db_table,
        "cert_products": Certificate.products.through._meta.db_table,
        "cert_standards": Certificate.standards.through._meta.db_table,
    }
    columns = ["s.status AS supplier_status"]
    params: list[Any] = []
    for market in markets:
        columns.append(
            f"(SELECT min(h.started_at) FROM {table['hold']} h WHERE h.listing_id = %s "
            "AND h.market = %s AND h.started_at <= %s "
            f"AND (h.lifted_at IS NULL OR h.lifted_at > %s)) AS held_{market.lower()}"
        )
        params += [listing.pk, market, at, at]
        columns.append(
            f"(SELECT count(*) FROM {table['price']} p WHERE p.listing_id = %s "
            f"AND p.market = %s) AS priced_{market.lower()}"
        )
        params += [listing.pk, market]
    categories = [category_id] + ([parent_id] if parent_id is not None else [])
    placeholders = ", ".join(["%s"] * len(categories))
    columns.append(
        f"(SELECT min(a.audited_on) FROM {table['finding']} f "
        f"JOIN {table['audit']} a ON a.id = f.audit_id "
        "WHERE a.supplier_id = %s AND f.severity = 'critical' AND a.recorded_at <= %s "
        f"AND (f.category_id IS NULL OR f.category_id IN ({placeholders})) "
        f"AND NOT EXISTS (SELECT 1 FROM {table['action']} ca WHERE ca.finding_id = f.id "
        "AND ca.closed_at IS NOT NULL AND ca.closed_at <= %s)) AS finding_on"
    )
    params += [listing.supplier_id, at, *categories, at]
    counting = (
        "t.product_id = %s AND t.supplier_id = %s AND t.standard_id = %s "
        "AND t.status = 'verified' AND t.verified_at <= %s AND t.recorded_at <= %s "
        "AND ((t.superseded_by_id IS NULL AND t.superseded_at IS NULL) "
        "OR (t.superseded_at IS NOT NULL AND t.superseded_at > %s))"
    )
    record_text = (
        "t.result || '|' || CAST(t.issued_on AS TEXT) || '|' || CAST(t.valid_until AS TEXT)"
    )
    order = "ORDER BY t.issued_on DESC, t.recorded_at DESC, t.id DESC LIMIT 1"
    for standard_id in wants_test:
        where = [listing.product_id, listing.supplier_id, standard_id, at, at, at]
        columns.append(
            f"(SELECT {record_text} FROM {table['record']} t WHERE {counting} {order}) "
            f"AS t{standard_id}"
        )
        params += where
        if standard_id in wants_cpsc:
            columns.append(
                f"(SELECT {record_text} FROM {table['record']} t "
                f"JOIN {table['lab']} lab ON lab.id = t.lab_id "
                f"WHERE {counting} AND lab.cpsc_accepted {order}) AS c{standard_id}"
            )
            params += where
    flags = " || ".join(
        f"(CASE WHEN c.{column} IS NOT NULL{blank} THEN '1' ELSE '0' END)"
        for column, blank in (
            (
                name + ("_id" if name == "test_lab" else ""),
                " AND c." + name + " <> ''"
                if name not in ("manufactured_on", "last_tested_on", "test_lab")
                else "",
            )
            for name in Certificate.EFILING_FIELDS
        )
    )
    certificate_text = (
        "(CASE WHEN c.status IN ('verified', 'rejected') AND c.checked_at <= %s "
        "THEN c.status ELSE 'unverified' END) || '|' || CAST(c.valid_until AS TEXT) || '|' || "
        + flags
    )
    rank = (
        "CASE WHEN c.status = 'verified' AND c.checked_at <= %s AND c.valid_until >= %s THEN 0 "
        "WHEN c.status = 'verified' AND c.checked_at <= %s THEN 2 "
        "WHEN c.status = 'rejected' AND c.checked_at <= %s THEN 3 ELSE 1 END"
    )
    for standard_id in wants_certificate:
        columns.append(
            f"(SELECT {certificate_text} FROM {table['certificate']} c "
            f"JOIN {table['cert_products']} cp ON cp.certificate_id = c.id "
            f"JOIN {table['cert_standards']} cs ON cs.certificate_id = c.id "
            "WHERE c.supplier_id = %s AND cp.product_id = %s AND cs.standard_id = %s "
            f"AND c.recorded_at <= %s ORDER BY {rank}, c.valid_until DESC, c.issued_on DESC, "
            f"c.id DESC LIMIT 1) AS k{standard_id}"
        )
        params += [at, listing.supplier_id, listing.product_id, standard_id, at, at, on, at, at]
    sql = f"SELECT {', '.join(columns)} FROM {table['supplier']} s WHERE s.id = %s"
    params.append(listing.supplier_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    if row is None:
        raise DomainError(
            "listing_not_found", gettext("No such listing."), kind=ErrorKind.NOT_FOUND
        )
    return dict(zip(names, row, strict=True))


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def _test_from_text(value: str | None) -> TestSeen | None:
    if not value:
        return None
    result, issued, valid = value.split("|")
    return TestSeen(result=result, issued_on=_as_date(issued), valid_until=_as_date(valid))


def _certificate_from_text(value: str | None) -> CertificateSeen | None:
    if not value:
        return None
    status, valid, flags = value.split("|")
    missing = tuple(
        name for name, flag in zip(Certificate.EFILING_FIELDS, flags, strict=True) if flag != "1"
    )
    return CertificateSeen(status=status, valid_until=_as_date(valid), missing=missing)


# --- Many listings: set-based ---------------------------------------------------------------


def compliance_answers(
    listings: QuerySet[Listing], markets: Iterable[str], *, at: datetime | None = None
) -> dict[tuple[int, str], Answer]:
    """The answer for every listing of the queryset in every market, keyed by (listing id,
    market): six queries whatever the number of listings (listings, programmes, records,
    certificates, holds, findings), the judgement in memory: once per distinct state (category,
    GPSR gaps, the pair's tests and certificates as seen), its reasons shared by the listings in
    that state; the supplier's suspension, holds and findings added per listing."""
    markets = [check_market(market) for market in dict.fromkeys(markets)]
    moment, day = _moment(at)
    if not markets:
        return {}
    listings = listings.order_by()
    facts_rows = list(
        listings.values_list(
            "pk",
            "supplier_id",
            "product_id",
            "product__category_id",
            "product__category__parent_id",
            "product__category__risk_level",
            "supplier__status",
            *GPSR_FIELDS,
        )
    )
    if not facts_rows:
        return {}
    programmes = _programmes(day, markets)
    test_ids = {
        rule.standard_id for rules in programmes.values() for rule in rules if rule.needs_test
    }
    cert_ids = {
        rule.standard_id
        for rules in programmes.values()
        for rule in rules
        if rule.needs_certificate
    }
    pairs = listings.filter(product_id=OuterRef("product_id"), supplier_id=OuterRef("supplier_id"))

    # The latest counting record per (product, supplier, standard), from any lab and from a
    # CPSC-accepted one: rows come newest first.
    tests: dict[tuple[int, int], dict[int, tuple[TestSeen | None, TestSeen | None]]] = {}
    if test_ids:
        rows = (
            counting_records(moment)
            .filter(standard_id__in=test_ids)
            .filter(Exists(pairs))
            .order_by("product_id", "supplier_id", "standard_id", *RECORD_ORDER)
            .values_list(
                "product_id",
                "supplier_id",
                "standard_id",
                "result",
                "issued_on",
                "valid_until",
                "lab__cpsc_accepted",
            )
        )
        # Equal records share one TestSeen, so that equal evidence makes equal states.
        seen_tests: dict[tuple[str, date, date], TestSeen] = {}
        for product_id, supplier_id, standard_id, result, issued, valid, cpsc in rows:
            per = tests.get((product_id, supplier_id))
            if per is None:
                per = tests[(product_id, supplier_id)] = {}
            seen = per.get(standard_id)
            if seen is None:
                test = seen_tests.get((result, issued, valid))
                if test is None:
                    test = seen_tests[(result, issued, valid)] = TestSeen(result, issued, valid)
                per[standard_id] = (test, test if cpsc else None)
            elif seen[1] is None and cpsc:
                per[standard_id] = (seen[0], TestSeen(result, issued, valid))

    # The best certificate per (product, supplier, standard).
    certificates: dict[tuple[int, int], dict[int, CertificateSeen]] = {}
    if cert_ids:
        through = Certificate.products.through
        # The listings' products and suppliers (semi-joins the planner hashes); a pair that is
        # not a listing's is never looked up.
        # No ORDER BY (sorting these wide join rows costs more than the join): the best
        # certificate per (product, supplier, standard) is kept here, in the order of
        # `_certificate_order` (compared only when a pair has several); each certificate's eFiling
        # gaps come as one flags column.
        # (django-stubs does not follow annotations through an auto-created through model.)
        cert_rows = (
            through.objects.filter(  # type: ignore[misc]
                product_id__in=listings.values("product_id"),
                certificate__supplier_id__in=listings.values("supplier_id"),
                certificate__recorded_at__lte=moment,
                certificate__standards__in=cert_ids,
            )
            .order_by()
            .annotate(
                status_at=_status_at_through(moment),
                efiling_flags=_efiling_flags_through(),
            )
            .values_list(
                "product_id",
                "certificate__supplier_id",
                "certificate__standards",
                "certificate_id",
                "certificate__valid_until",
                "certificate__issued_on",
                "status_at",
                "efiling_flags",
            )
        )
        best: dict[tuple[int, int, int], tuple[str, date, date, int]] = {}
        seen_certs: dict[int, CertificateSeen] = {}
        for (
            product_id,
            supplier_id,
            standard_id,
            cert_id,
            valid,
            issued,
            status,
            flags,
        ) in cert_rows:
            key = (product_id, supplier_id, standard_id)
            kept = best.get(key)
            if kept is not None and _certificate_order(*kept, day) <= _certificate_order(
                status, valid, issued, cert_id, day
            ):
                continue
            best[key] = (status, valid, issued, cert_id)
            cert = seen_certs.get(cert_id)
            if cert is None:
                cert = seen_certs[cert_id] = CertificateSeen(
                    status=status,
                    valid_until=valid,
                    missing=tuple(
                        name
                        for name, flag in zip(Certificate.EFILING_FIELDS, flags, strict=True)
                        if flag != "1"
                    ),
                )
            per_cert = certificates.get((product_id, supplier_id))
            if per_cert is None:
                per_cert = certificates[(product_id, supplier_id)] = {}
            per_cert[standard_id] = cert
        # A state is the same whatever order the rows came in.
        for pair, per_cert in certificates.items():
            if len(per_cert) > 1:
                certificates[pair] = dict(sorted(per_cert.items()))

    answers: dict[tuple[int, str], Answer] = {}
    efiling_from = settings.EFILING_REQUIRED_FROM
    empty_tests: dict[int, tuple[TestSeen | None, TestSeen | None]] = {}
    empty_certs: dict[int, CertificateSeen] = {}
    # The market holds in force and the open critical findings (few rows: one query each, and
    # only when there are any at all, judged by the first).
    holds: dict[tuple[int, str], datetime] = {}
    hold_rows = MarketHold.objects.filter(_holds_in_force(moment), market__in=markets)
    for listing_id, market, started in hold_rows.filter(
        listing_id__in=listings.values("pk")
    ).values_list("listing_id", "market", "started_at"):
        if (listing_id, market) not in holds or started < holds[(listing_id, market)]:
            holds[(listing_id, market)] = started
    findings: dict[int, list[tuple[int | None, date]]] = {}
    for finder_id, finding_category, audited in (
        _critical_open(moment)
        .filter(audit__supplier_id__in=listings.values("supplier_id"))
        .values_list("audit__supplier_id", "category_id", "audit__audited_on")
        .order_by()
    ):
        findings.setdefault(finder_id, []).append((finding_category, audited))

    # The evidence of a (product, supplier) pair as a state number: pairs with the same evidence
    # (most of them) share one, so each distinct (category, supplier status, GPSR gaps, tests,
    # certificates) is judged once, in every market, and its reasons reused.
    test_states: dict[tuple[Any, ...], int] = {(): 0}
    test_state_of: dict[tuple[int, int], int] = {}
    tests_of_state: list[Mapping[int, tuple[TestSeen | None, TestSeen | None]]] = [empty_tests]
    for pair, per in tests.items():
        seen_tuple: tuple[Any, ...] = tuple(per.items())
        number = test_states.get(seen_tuple)
        if number is None:
            number = test_states[seen_tuple] = len(tests_of_state)
            tests_of_state.append(per)
        test_state_of[pair] = number
    cert_states: dict[tuple[Any, ...], int] = {(): 0}
    cert_state_of: dict[tuple[int, int], int] = {}
    certs_of_state: list[Mapping[int, CertificateSeen]] = [empty_certs]
    for pair, per_cert in certificates.items():
        seen_tuple = tuple(per_cert.items())
        number = cert_states.get(seen_tuple)
        if number is None:
            number = cert_states[seen_tuple] = len(certs_of_state)
            certs_of_state.append(per_cert)
        cert_state_of[pair] = number

    judged: dict[tuple[Any, ...], tuple[tuple[Reason, ...], ...]] = {}
    rules_by_category: dict[tuple[int, int | None], list[tuple[Rule, ...]]] = {}
    suspended = Supplier.Status.SUSPENDED
    suspended_reasons = (Reason("supplier_suspended", blocks=SELL_ONLY),)
    market_index = list(enumerate(markets))
    for (
        listing_id,
        supplier_id,
        product_id,
        category_id,
        parent_id,
        risk,
        supplier_status,
        manufacturer,
        responsible,
    ) in facts_rows:
        pair = (product_id, supplier_id)
        state = (
            category_id,
            parent_id,
            risk,
            not (manufacturer or "").strip(),
            not (responsible or "").strip(),
            test_state_of.get(pair, 0),
            cert_state_of.get(pair, 0),
        )
        per_market = judged.get(state)
        if per_market is None:
            category_rules = rules_by_category.get((category_id, parent_id))
            if category_rules is None:
                category_rules = rules_by_category[(category_id, parent_id)] = [
                    _rules_for(programmes, market, category_id, parent_id) for market in markets
                ]
            facts = ListingFacts(
                listing_id=listing_id,
                high_risk=risk == "high",
                supplier_status="",
                gpsr={"gpsr_manufacturer": manufacturer, "eu_responsible_person": responsible},
            )
            per_market = judged[state] = tuple(
                _judge(
                    facts,
                    market,
                    moment,
                    day,
                    category_rules[index],
                    tests_of_state[state[5]],
                    certs_of_state[state[6]],
                    None,
                    None,
                    efiling_from,
                ).reasons
                for index, market in market_index
            )
        first: tuple[Reason, ...] = suspended_reasons if supplier_status == suspended else ()
        finding: tuple[Reason, ...] = ()
        supplier_findings = findings.get(supplier_id)
        if supplier_findings:
            finding_on = None
            for about, audited in supplier_findings:
                concerns = about is None or about in (category_id, parent_id)
                if concerns and (finding_on is None or audited < finding_on):
                    finding_on = audited
            if finding_on is not None:
                finding = (Reason("critical_finding_open", on=finding_on),)
        for index, market in market_index:
            reasons = per_market[index]
            held_since = holds.get((listing_id, market)) if holds else None
            if first or finding or held_since is not None:
                held = (
                    (Reason("market_hold", on=timezone.localdate(held_since)),)
                    if held_since is not None
                    else ()
                )
                reasons = first + held + finding + reasons
            answers[(listing_id, market)] = Answer(listing_id, market, moment, reasons)
    return answers


def _status_at_through(at: datetime) -> Case:
    return Case(
        When(
            certificate__status__in=[Certificate.Status.VERIFIED, Certificate.Status.REJECTED],
            certificate__checked_at__lte=at,
            then=F("certificate__status"),
        ),
        default=Value(Certificate.Status.UNVERIFIED),
        output_field=CharField(),
    )


def _efiling_flags_through() -> Concat:
    """One character per Certificate.EFILING_FIELDS: '1' when the certificate has it."""
    flags: list[Any] = []
    for name in Certificate.EFILING_FIELDS:
        model_field = Certificate._meta.get_field(name)
        column = f"certificate__{name}"
        present = Q(**{f"{column}__isnull": False})
        if isinstance(model_field, CharField | TextField):
            present &= ~Q(**{column: ""})
        flags.append(Case(When(present, then=Value("1")), default=Value("0")))
    return Concat(*flags, output_field=CharField())


def sellable_markets(
    listings: QuerySet[Listing], markets: Iterable[str], *, at: datetime | None = None
) -> dict[int, set[str]]:
    """For each listing, the markets (of `markets`) where the answer lets it be sold."""
    found: dict[int, set[str]] = {}
    for (listing_id, market), answer in compliance_answers(listings, markets, at=at).items():
        entry = found.setdefault(listing_id, set())
        if answer.may_sell:
            entry.add(market)
    return found


# --- The gates' refusal -----------------------------------------------------------------------


def reason_data(reason: Reason, market: str | None = None) -> dict[str, Any]:
    """A reason as the API shows it (the message in the active language)."""
    data: dict[str, Any] = {} if market is None else {"market": market}
    data.update(
        code=reason.code,
        message=reason.message,
        standard=reason.standard,
        on=reason.on.isoformat() if reason.on else None,
        fields=list(reason.fields),
    )
    return data


def compliance_blocked(answers: Iterable[Answer]) -> DomainError:
    """The gates' refusal: 422 `compliance_blocked`, naming the markets asked about in `message`
    and every reason that blocks selling there in the body's `reasons` ({market, code, message,
    standard, on, fields})."""
    answers = list(answers)
    reasons = [
        reason_data(reason, answer.market)
        for answer in answers
        for reason in answer.reasons
        if SELL in reason.blocks
    ]
    markets = ", ".join(answer.market for answer in answers) or "-"
    first = f" {reasons[0]['message']}" if reasons else ""
    return DomainError(
        "compliance_blocked",
        gettext("This listing may not be sold in %(markets)s.") % {"markets": markets} + first,
        kind=ErrorKind.INVALID,
        fields={"market": [gettext("Compliance does not hold here.")]} if answers else None,
        extra={"reasons": reasons},
    )
