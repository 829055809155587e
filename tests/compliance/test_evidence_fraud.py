"""Fraud signals: each signal with its reason, open until the record is rejected or superseded,
counted in one query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import Product
from compliance.models import Measurement, TestRecord
from compliance.selectors.fraud import fraud_signal_count, fraud_signals
from tests.factories.catalogue import ListingFactory
from tests.factories.compliance import LabAccreditationFactory, LabFactory
from tests.factories.compliance import TestRecordFactory as RecordFactory

from .evidence_support import world

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def _record(w, **fields):
    return RecordFactory(
        product=w.product, supplier=w.supplier, standard=w.standard, lab=w.lab, **fields
    )


def _stranger(w, **fields):
    """Another supplier's record of another product, at another accredited lab, clean but for
    what `fields` make of it."""
    listing = ListingFactory()
    Product.objects.filter(pk=listing.product_id).update(
        created_at=timezone.now() - timedelta(days=400)
    )
    lab = LabFactory()
    LabAccreditationFactory(lab=lab, standard=w.standard)
    return RecordFactory(
        product_id=listing.product_id,
        supplier=listing.supplier,
        standard=w.standard,
        lab=lab,
        **fields,
    )


def _codes(**filters):
    return sorted((s.record_id, s.code) for s in fraud_signals(**filters))


def test_a_clean_record_has_no_signal(w):
    _record(w, report_sha256="a" * 64)
    assert fraud_signals() == []


def test_the_same_report_number_on_another_suppliers_or_products_record(w):
    mine = _record(w, report_number="R-9")
    other_listing = ListingFactory()
    theirs = RecordFactory(
        product=other_listing.product,
        supplier=other_listing.supplier,
        standard=w.standard,
        lab=LabFactory(),
        report_number="R-9",
    )
    found = _codes(codes=["report_reused"])
    assert found == sorted([(mine.pk, "report_reused"), (theirs.pk, "report_reused")])
    reason = next(s.reason for s in fraud_signals() if s.record_id == mine.pk)
    assert "another supplier" in reason


def test_the_same_file_on_another_product(w):
    mine = _record(w, report_sha256="f" * 64)
    other = ListingFactory(supplier=w.supplier)
    RecordFactory(
        product=other.product, supplier=w.supplier, standard=w.standard, report_sha256="f" * 64
    )
    assert (mine.pk, "file_reused") in _codes()


def test_the_same_file_on_the_same_product_and_supplier_is_no_signal(w):
    _record(w, report_sha256="f" * 64)
    _record(w, report_sha256="f" * 64)
    assert _codes(codes=["file_reused"]) == []


def test_a_lab_not_accredited_on_the_issue_date(w):
    accreditation = w.lab.accreditations.get()
    accreditation.valid_until = timezone.localdate() - timedelta(days=60)
    accreditation.save()
    record = _record(w)
    assert _codes() == [(record.pk, "lab_not_accredited")]


def test_issued_before_the_product_existed(w):
    record = _record(
        w,
        issued_on=timezone.localdate() - timedelta(days=500),
        valid_until=timezone.localdate() + timedelta(days=10),
    )
    assert (record.pk, "before_product") in _codes()


def test_a_pass_with_a_value_outside_its_limits_and_a_fail_with_all_within(w):
    passed = _record(w)
    Measurement.objects.create(
        record=passed,
        parameter="lead",
        unit="ppm",
        value=Decimal("120"),
        maximum=Decimal("100"),
        verdict="outside",
    )
    failed = _record(w, result="fail")
    Measurement.objects.create(
        record=failed,
        parameter="lead",
        unit="ppm",
        value=Decimal("20"),
        maximum=Decimal("100"),
        verdict="within",
    )
    # A fail without measured values contradicts nothing.
    _record(w, result="fail")
    assert _codes() == sorted(
        [(passed.pk, "result_contradicts"), (failed.pk, "result_contradicts")]
    )


def test_a_rejected_or_superseded_record_closes_its_signals(w):
    record = _record(w, report_number="R-1")
    twin = _stranger(w, report_number="R-1")
    assert fraud_signal_count() == 2
    TestRecord.objects.filter(pk=twin.pk).update(status="rejected")
    newer = _record(w)
    TestRecord.objects.filter(pk=record.pk).update(superseded_by=newer)
    assert fraud_signal_count() == 0


def test_signals_filter_by_supplier_category_and_market(w):
    record = _record(w, report_number="R-1")
    _stranger(w, report_number="R-1")
    assert [s.record_id for s in fraud_signals(supplier_id=w.supplier.pk)] == [record.pk]
    assert fraud_signal_count(category_id=w.product.category_id) == 1
    assert fraud_signal_count(market="US") == 0
    assert fraud_signal_count(market="EU") == 2


def test_the_signals_cost_one_query_whatever_the_count(w, django_assert_num_queries):
    for n in range(5):
        _stranger(w, report_number=f"D-{n}")
        _stranger(w, report_number=f"D-{n}")
    with django_assert_num_queries(1):
        assert len(fraud_signals()) == 10
