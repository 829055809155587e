"""Demo compliance evidence for `seed_demo` (catalogue.demo calls it before listings go live):
accredited labs, and for a listing in some markets a verified passing lab test for every test
requirement of the programmes in force (from a CPSC-accepted lab, with measured values where the
standard has limits) and a verified certificate with its eFiling data for every certificate
requirement. Compliance sits below the catalogue: the listing is handed in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from suppliers.models import Supplier

from .models import (
    Audit,
    Certificate,
    Lab,
    LabAccreditation,
    Measurement,
    ProgrammeRequirement,
    Standard,
    TestRecord,
    TestSpecification,
)
from .selectors.answer import _programmes, _rules_for
from .services.audits import FindingIn, audit_record
from .services.enforcement import cases_open_for_failures

if TYPE_CHECKING:
    from accounts.models import User
    from catalogue.models import Listing

# name, country, accreditation body, number, CPSC-accepted
LABS = [
    ("SGS Shenzhen", "CN", "CNAS", "L0336", True),
    ("TÜV Rheinland Shanghai", "CN", "DAkkS", "D-PL-11120-01", True),
    ("Intertek Guangzhou", "CN", "CNAS", "L1402", False),
]

CERTIFICATE_KIND = {
    "CPC": Certificate.Kind.CPC,
    "GCC": Certificate.Kind.GCC,
    "CE (toys)": Certificate.Kind.CE,
    "CE (electronics)": Certificate.Kind.CE,
    "UKCA/CE (toys)": Certificate.Kind.UKCA,
    "UKCA/CE (electronics)": Certificate.Kind.UKCA,
    "FCC Part 15": Certificate.Kind.FCC_SDOC,
}


def seed_labs() -> dict[str, Lab]:
    """The demo's labs, each accredited for every standard (idempotent)."""
    labs = {}
    for name, country, body, number, cpsc in LABS:
        lab, created = Lab.objects.get_or_create(
            name=name,
            defaults={
                "country": country,
                "accreditation_body": body,
                "accreditation_number": number,
                "cpsc_accepted": cpsc,
            },
        )
        if created or not lab.accreditation_number:
            Lab.objects.filter(pk=lab.pk).update(
                accreditation_body=body, accreditation_number=number, cpsc_accepted=cpsc
            )
        held = set(lab.accreditations.values_list("standard_id", flat=True))
        LabAccreditation.objects.bulk_create(
            LabAccreditation(lab=lab, standard=standard, valid_from=date(2022, 1, 1))
            for standard in Standard.objects.exclude(pk__in=held)
        )
        labs[name] = lab
    return labs


def seed_evidence(
    listing: Listing,
    markets: Iterable[str],
    *,
    lab: Lab,
    issuer: str,
    records_keeper: str,
) -> list[TestRecord]:
    """Evidence that makes `listing` hold in `markets` today (what is already on file is kept)."""
    today = timezone.localdate()
    now = timezone.now()
    category = listing.product.category
    markets = list(markets)
    programmes = _programmes(today, markets)
    records: list[TestRecord] = []
    done: set[int] = set()
    for market in markets:
        for rule in _rules_for(programmes, market, category.pk, category.parent_id):
            if (
                rule.standard_id in done
                or rule.evidence == ProgrammeRequirement.Evidence.LISTING_DETAILS
            ):
                continue
            done.add(rule.standard_id)
            if rule.needs_test:
                record, created = TestRecord.objects.get_or_create(
                    lab=lab,
                    report_number=f"{lab.accreditation_number}-{listing.product_id:04d}-"
                    f"{listing.supplier_id:03d}-{rule.standard_id:03d}",
                    defaults={
                        "product_id": listing.product_id,
                        "supplier_id": listing.supplier_id,
                        "standard_id": rule.standard_id,
                        "result": TestRecord.Result.PASS,
                        "issued_on": today - timedelta(days=45),
                        "valid_until": today + timedelta(days=320),
                        "source": TestRecord.Source.LAB,
                        "status": TestRecord.Status.VERIFIED,
                        "recorded_at": now - timedelta(days=44),
                        "verified_at": now - timedelta(days=44),
                    },
                )
                if created:
                    _measure(record, fraction=Decimal("0.35"))
                records.append(record)
            if rule.evidence == ProgrammeRequirement.Evidence.CERTIFICATE:
                certificate, created = Certificate.objects.get_or_create(
                    issuer=issuer,
                    number=f"{rule.standard}-{listing.product_id:04d}-{listing.supplier_id:03d}",
                    defaults={
                        "supplier_id": listing.supplier_id,
                        "kind": CERTIFICATE_KIND.get(rule.standard, Certificate.Kind.OTHER),
                        "scope": str(listing.product),
                        "issued_on": today - timedelta(days=40),
                        "valid_until": today + timedelta(days=690),
                        "status": Certificate.Status.VERIFIED,
                        "check_method": Certificate.CheckMethod.ISSUER_REGISTRY,
                        "checked_at": now - timedelta(days=38),
                        "recorded_at": now - timedelta(days=40),
                        "rules_cited": f"{rule.standard}",
                        "certifier": issuer,
                        "manufactured_on": today - timedelta(days=90),
                        "manufactured_at": "Shantou, Guangdong, CN",
                        "last_tested_on": today - timedelta(days=45),
                        "last_tested_at": f"{lab.name}, CN",
                        "test_lab": lab,
                        "records_keeper": records_keeper,
                    },
                )
                if created:
                    certificate.products.add(listing.product_id)
                    certificate.standards.add(rule.standard_id)
    return records


def failed_retest(record: TestRecord, *, days_ago: int = 3) -> TestRecord:
    """A later test of the same product and standard that failed (measured values over the
    limits): the listing stops holding where the standard is required."""
    now = timezone.now()
    retest, created = TestRecord.objects.get_or_create(
        lab=record.lab,
        report_number=f"{record.report_number}-R1",
        defaults={
            "product_id": record.product_id,
            "supplier_id": record.supplier_id,
            "standard_id": record.standard_id,
            "result": TestRecord.Result.FAIL,
            "issued_on": timezone.localdate() - timedelta(days=days_ago),
            "valid_until": timezone.localdate() + timedelta(days=360),
            "source": TestRecord.Source.LAB,
            "status": TestRecord.Status.VERIFIED,
            "recorded_at": now - timedelta(days=days_ago),
            "verified_at": now - timedelta(days=days_ago),
        },
    )
    if created:
        _measure(retest, fraction=Decimal("1.40"))
    return retest


def _measure(record: TestRecord, *, fraction: Decimal) -> None:
    """Measured values at `fraction` of each limit of the standard's specifications."""
    for spec in TestSpecification.objects.filter(standard_id=record.standard_id):
        if spec.maximum is None:
            continue
        value = (spec.maximum * fraction).quantize(Decimal("0.0001"))
        verdict = (
            Measurement.Verdict.OUTSIDE
            if value > spec.maximum
            else Measurement.Verdict.WARNING
            if value >= spec.maximum - spec.warn_within
            else Measurement.Verdict.WITHIN
        )
        Measurement.objects.create(
            record=record,
            specification=spec,
            parameter=spec.parameter,
            unit=spec.unit,
            value=value,
            minimum=spec.minimum,
            maximum=spec.maximum,
            warn_within=spec.warn_within,
            verdict=verdict,
        )


def seed_audits_and_cases(*, officer: User) -> None:
    """Factory audits with open corrective actions (none overdue, so nothing pauses), and the
    enforcement case the panda's failed retest opens (held in the US, step 1, appealable)."""
    today = timezone.localdate()
    audits = [
        (
            "91440300MA5F00001",
            "Intertek Shenzhen, Li Wei",
            74,
            [
                FindingIn(
                    severity="major",
                    area="Chemical control",
                    description="Paint batches not tested for lead before use on the line.",
                    due_on=today + timedelta(days=12),
                ),
                FindingIn(
                    severity="minor",
                    area="Traceability",
                    description="Lot numbers missing on two cartons of finished goods.",
                    due_on=today + timedelta(days=1),
                ),
            ],
        ),
        (
            "91330782MA2E00002",
            "Bureau Veritas Ningbo, Chen Jing",
            81,
            [
                FindingIn(
                    severity="critical",
                    area="Food-contact materials",
                    description="Migration test reports missing for the lunchbox's lid.",
                    due_on=today + timedelta(days=20),
                )
            ],
        ),
    ]
    for credit_code, auditor, score, findings in audits:
        supplier = Supplier.objects.filter(credit_code__startswith=credit_code).first()
        if supplier is None or Audit.objects.filter(supplier=supplier).exists():
            continue
        audit_record(
            supplier,
            factory=supplier.factories.first(),
            auditor=auditor,
            audited_on=today - timedelta(days=3),
            score=score,
            findings=findings,
            actor=officer,
        )
    cases_open_for_failures(actor=officer)
