from __future__ import annotations

from datetime import date, timedelta

import factory
from django.utils import timezone

from compliance.models import (
    Certificate,
    Lab,
    LabAccreditation,
    ProgrammeRequirement,
    Standard,
    TestProgramme,
    TestRecord,
)

from .catalogue import CategoryFactory, ProductFactory
from .suppliers import SupplierFactory


class StandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Standard
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"STD-{n}")
    title = factory.LazyAttribute(lambda o: f"Standard {o.code}")
    market = "EU"
    test_cost_cny = "1500.00"
    effective_from = date(2020, 1, 1)


class LabFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lab
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Test lab {n}")
    country = "CN"
    accreditation_body = "CNAS"
    accreditation_number = factory.Sequence(lambda n: f"L{1000 + n}")
    cpsc_accepted = True


class LabAccreditationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabAccreditation

    lab = factory.SubFactory(LabFactory)
    standard = factory.SubFactory(StandardFactory)
    valid_from = date(2020, 1, 1)


class TestProgrammeFactory(factory.django.DjangoModelFactory):
    __test__ = False  # not a pytest class

    class Meta:
        model = TestProgramme

    category = factory.SubFactory(CategoryFactory)
    market = "EU"
    name = factory.LazyAttribute(lambda o: f"{o.category} in {o.market}")
    effective_from = date(2020, 1, 1)


class RequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgrammeRequirement

    programme = factory.SubFactory(TestProgrammeFactory)
    standard = factory.SubFactory(StandardFactory)
    evidence = ProgrammeRequirement.Evidence.LAB_TEST


class TestRecordFactory(factory.django.DjangoModelFactory):
    """A verified passing record posted by a lab, in date for a year."""

    __test__ = False  # not a pytest class

    class Meta:
        model = TestRecord

    product = factory.SubFactory(ProductFactory)
    supplier = factory.SubFactory(SupplierFactory)
    standard = factory.SubFactory(StandardFactory)
    lab = factory.SubFactory(LabFactory)
    report_number = factory.Sequence(lambda n: f"RPT-{n:06d}")
    result = TestRecord.Result.PASS
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=335))
    source = TestRecord.Source.LAB
    status = TestRecord.Status.VERIFIED
    recorded_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=29))
    verified_at = factory.LazyAttribute(lambda o: o.recorded_at)


class CertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certificate

    supplier = factory.SubFactory(SupplierFactory)
    kind = Certificate.Kind.CE
    issuer = "Bright Toys Co."
    number = factory.Sequence(lambda n: f"DOC-{n:05d}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=700))
