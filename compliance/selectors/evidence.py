"""Who reads which test records and certificates: a supplier its own, a lab's API client the
records of its lab, staff what their role's view permission allows; and whether a measured
value's specification changed since the record copied its limits."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from suppliers.selectors import supplier_id_for

from ..models import Certificate, Lab, Measurement, TestRecord, TestSpecification


def _lab_of(user: User) -> Lab | None:
    client = getattr(user, "api_client", None)
    if client is None:
        return None
    return Lab.objects.filter(api_client=client).first()


def test_records_visible_to(user: User) -> QuerySet[TestRecord]:
    queryset = TestRecord.objects.select_related("product", "supplier", "standard", "lab")
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client"):
        lab = _lab_of(user)
        return queryset.filter(lab=lab) if lab is not None else queryset.none()
    if user.has_perm("compliance.view_testrecord"):
        return queryset
    return queryset.none()


def certificates_visible_to(user: User) -> QuerySet[Certificate]:
    queryset = Certificate.objects.select_related("supplier", "test_lab")
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm("compliance.view_certificate"):
        return queryset
    return queryset.none()


def measurements_of(record: TestRecord) -> list[Measurement]:
    """The record's measured values, each with `spec_changed`: the specification in force today
    for its parameter has other limits than the ones copied onto it (or none is in force any
    more). Two queries, whatever the count."""
    current = {
        spec.parameter: spec
        for spec in TestSpecification.objects.in_force(timezone.localdate()).filter(
            standard_id=record.standard_id
        )
    }
    rows = list(Measurement.objects.filter(record=record).order_by("parameter"))
    for row in rows:
        spec = current.get(row.parameter)
        if spec is None:
            row.spec_changed = row.specification_id is not None  # type: ignore[attr-defined]
        else:
            row.spec_changed = (  # type: ignore[attr-defined]
                spec.minimum != row.minimum
                or spec.maximum != row.maximum
                or spec.warn_within != row.warn_within
            )
    return rows
