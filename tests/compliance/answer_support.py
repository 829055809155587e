"""Evidence that makes a listing hold in markets, for tests of the compliance answer and its
gates: a passing record (from a CPSC-accepted lab) for every test requirement and a verified
certificate with its eFiling data for every certificate requirement of the programmes in force."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from catalogue.models import Listing
from compliance.models import Certificate, ProgrammeRequirement
from compliance.selectors.answer import _programmes, _rules_for
from tests.factories.compliance import CertificateFactory, LabFactory, TestRecordFactory


def efiling_data(lab=None) -> dict:
    return {
        "rules_cited": "16 CFR 1250 (ASTM F963-23); CPSIA 101 lead; CPSIA 108 phthalates",
        "certifier": "Example Imports LLC, 1 Harbor Way, Long Beach CA",
        "manufactured_on": date(2026, 1, 10),
        "manufactured_at": "Shantou, Guangdong, CN",
        "last_tested_on": date(2026, 1, 20),
        "last_tested_at": "Shenzhen, CN",
        "test_lab": lab or LabFactory(),
        "records_keeper": "Example Imports LLC, records@example.com",
    }


def make_compliant(
    listing: Listing, markets=("US", "EU", "UK"), *, at: datetime | None = None
) -> None:
    """Evidence for every requirement `listing` has in `markets` at `at` (now)."""
    moment = at or timezone.now()
    day = timezone.localdate(moment)
    category = listing.product.category
    programmes = _programmes(day, markets)
    lab = LabFactory(cpsc_accepted=True)
    listing.gpsr_manufacturer = listing.gpsr_manufacturer or "Bright Toys Co., Shantou, CN"
    listing.eu_responsible_person = listing.eu_responsible_person or "EU Rep GmbH, Berlin, DE"
    listing.save(update_fields=["gpsr_manufacturer", "eu_responsible_person"])
    done: set[int] = set()
    for market in markets:
        for rule in _rules_for(programmes, market, category.pk, category.parent_id):
            if rule.standard_id in done:
                continue
            done.add(rule.standard_id)
            if rule.evidence == ProgrammeRequirement.Evidence.LISTING_DETAILS:
                continue
            if rule.needs_test:
                TestRecordFactory(
                    product=listing.product,
                    supplier=listing.supplier,
                    standard_id=rule.standard_id,
                    lab=lab,
                    issued_on=day - timedelta(days=30),
                    valid_until=day + timedelta(days=335),
                    recorded_at=moment - timedelta(days=29),
                )
            if rule.evidence == ProgrammeRequirement.Evidence.CERTIFICATE:
                certificate = CertificateFactory(
                    supplier=listing.supplier,
                    issued_on=day - timedelta(days=30),
                    valid_until=day + timedelta(days=700),
                    status=Certificate.Status.VERIFIED,
                    checked_at=moment - timedelta(days=20),
                    recorded_at=moment - timedelta(days=25),
                    **efiling_data(lab),
                )
                certificate.products.add(listing.product)
                certificate.standards.add(rule.standard_id)
