"""What the evidence tests share: a lab with its API client and accreditation, a supplier's
product, a PDF, and a record as a door hands it in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import ApiClient, Scope, User
from accounts.services import api_client_create
from catalogue.models import Product
from compliance.models import Lab, Standard, TestSpecification
from compliance.services.records import MeasuredValue, RecordIn
from suppliers.models import Supplier
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.compliance import LabAccreditationFactory, LabFactory, StandardFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(name: str = "report.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "application/pdf")


@dataclass
class World:
    lab: Lab
    client: ApiClient
    key: str
    lab_user: User
    standard: Standard
    supplier: Supplier
    product: Product

    def record(self, **changes: object) -> RecordIn:
        today = timezone.localdate()
        base = RecordIn(
            product_id=self.product.pk,
            supplier_id=self.supplier.pk,
            standard=self.standard,
            lab=self.lab,
            report_number="SGS-2026-0001",
            result="pass",
            issued_on=today - timedelta(days=10),
            valid_until=today + timedelta(days=355),
            report_file=pdf(),
            measurements=(),
        )
        return replace(base, **changes)


def lab_with_client(name: str = "SGS Shenzhen", standard: Standard | None = None) -> tuple:
    client, key = api_client_create(
        name=f"{name} client",
        kind=ApiClient.Kind.LAB,
        scopes=[Scope.LABS_WRITE, Scope.READ],
        actor=None,
    )
    lab = LabFactory(name=name, api_client=client)
    if standard is not None:
        LabAccreditationFactory(lab=lab, standard=standard, valid_from=date(2020, 1, 1))
    return lab, client, key


def world(supplier: Supplier | None = None) -> World:
    standard = StandardFactory(code="TEST 71-3", market="EU")
    lab, client, key = lab_with_client(standard=standard)
    listing = ListingFactory(**({"supplier": supplier} if supplier is not None else {}))
    product = listing.product
    Product.objects.filter(pk=product.pk).update(created_at=timezone.now() - timedelta(days=400))
    product.refresh_from_db()
    return World(lab, client, key, client.user, standard, listing.supplier, product)


def lead_specs(standard: Standard) -> None:
    TestSpecification.objects.create(
        standard=standard,
        parameter="lead_substrate",
        label="Lead in substrate",
        unit="ppm",
        maximum=Decimal("100"),
        warn_within=Decimal("10"),
        effective_from=date(2020, 1, 1),
    )


def lead(value: str, unit: str = "") -> MeasuredValue:
    return MeasuredValue("lead_substrate", Decimal(value), unit)


__all__ = [
    "PDF",
    "ProductFactory",
    "World",
    "lab_with_client",
    "lead",
    "lead_specs",
    "pdf",
    "world",
]
