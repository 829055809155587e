"""Factories and helpers the audit and CAPA tests share (kept beside them so the subjects'
factory additions do not collide)."""

from __future__ import annotations

from datetime import date, timedelta

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from compliance.models import ActionEvidence, Audit, CorrectiveAction, Finding
from tests.factories.accounts import UserFactory
from tests.factories.suppliers import SupplierFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def pdf(name: str = "evidence.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, "application/pdf")


def png(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, "image/png")


class AuditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Audit

    supplier = factory.SubFactory(SupplierFactory)
    auditor = "QIMA, Zhang Min"
    audited_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    score = 72
    recorded_by = factory.SubFactory(UserFactory, is_staff=True)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    audit = factory.SubFactory(AuditFactory)
    severity = Finding.Severity.MAJOR
    area = "chemical control"
    description = "No incoming inspection of paint batches."


class CorrectiveActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorrectiveAction

    finding = factory.SubFactory(FindingFactory)
    supplier = factory.LazyAttribute(lambda o: o.finding.audit.supplier)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


def answered(action: CorrectiveAction, *, with_evidence: bool = True) -> CorrectiveAction:
    action.root_cause = "Paint supplier changed without notice."
    action.containment = "Quarantined the affected batch."
    action.preventive_step = "XRF test of every incoming paint batch."
    action.save()
    if with_evidence:
        ActionEvidence.objects.create(
            action=action, file=pdf(), uploaded_by=UserFactory(), note="procedure"
        )
    return action


def critical_action(supplier, *, category=None, due_on: date | None = None) -> CorrectiveAction:
    return CorrectiveActionFactory(
        finding__audit__supplier=supplier,
        finding__severity=Finding.Severity.CRITICAL,
        finding__category=category,
        due_on=due_on or timezone.localdate() - timedelta(days=1),
    )
