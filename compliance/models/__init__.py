"""Compliance (SPEC, "Compliance: third-party testing"): the rules as data, labs, the evidence
(test records, measured values, certificates), factory audits with corrective actions,
enforcement cases with their market holds, random sampling, trust pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .audits import CORRECTIVE_ACTION_MACHINE, ActionEvidence, Audit, CorrectiveAction, Finding
from .enforcement import ENFORCEMENT_CASE_MACHINE, EnforcementCase, MarketHold
from .expiry import ExpiryWarning, ListingMarketStatus
from .labs import Lab, LabAccreditation
from .records import CERTIFICATE_MACHINE, TEST_RECORD_MACHINE, Certificate, Measurement, TestRecord
from .rules import ProgrammeRequirement, Standard, TestProgramme, TestSpecification
from .sampling import SAMPLING_REQUEST_MACHINE, SamplingDraw, SamplingRequest
from .trust import TrustPage

__all__ = [
    "CERTIFICATE_MACHINE",
    "CORRECTIVE_ACTION_MACHINE",
    "ENFORCEMENT_CASE_MACHINE",
    "SAMPLING_REQUEST_MACHINE",
    "TEST_RECORD_MACHINE",
    "ActionEvidence",
    "Audit",
    "Certificate",
    "CorrectiveAction",
    "EnforcementCase",
    "ExpiryWarning",
    "Finding",
    "Lab",
    "LabAccreditation",
    "ListingMarketStatus",
    "MarketHold",
    "Measurement",
    "ProgrammeRequirement",
    "SamplingDraw",
    "SamplingRequest",
    "Standard",
    "TestProgramme",
    "TestRecord",
    "TestSpecification",
    "TrustPage",
    "listing_model",
    "product_model",
]

if TYPE_CHECKING:
    from catalogue.models import Listing, Product


# Compliance sits below the catalogue and never imports it: it reaches the catalogue's models
# through its own relations to them.
def listing_model() -> type[Listing]:
    """catalogue.Listing."""
    return MarketHold._meta.get_field("listing").related_model  # type: ignore[return-value]


def product_model() -> type[Product]:
    """catalogue.Product."""
    return TestRecord._meta.get_field("product").related_model  # type: ignore[return-value]
