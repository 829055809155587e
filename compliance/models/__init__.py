"""Compliance (SPEC, "Compliance: third-party testing"): the rules as data, labs, the evidence
(test records, measured values, certificates), factory audits with corrective actions,
enforcement cases with their market holds, random sampling, trust pages."""

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
]
