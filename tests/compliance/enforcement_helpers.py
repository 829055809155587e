"""What the enforcement tests share: a supplier's listing of a product, a failed record of it
and the standard's markets."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from catalogue.models import Listing
from compliance.models import EnforcementCase, TestRecord
from compliance.services.enforcement import cases_open_for_failures
from suppliers.models import Supplier
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.compliance import StandardFactory, TestRecordFactory
from tests.factories.suppliers import funded_supplier


def failing_listing(supplier: Supplier | None = None, **fields: object) -> Listing:
    supplier = supplier or funded_supplier()
    return ListingFactory(
        supplier=supplier, product=ProductFactory(), status=Listing.Status.LIVE, **fields
    )


def failed_record(listing: Listing, *, standard: object = None, **fields: object) -> TestRecord:
    now = timezone.now()
    values: dict[str, object] = {
        "product": listing.product,
        "supplier": listing.supplier,
        "standard": standard or StandardFactory(code="EN 71-3", market="EU"),
        "result": TestRecord.Result.FAIL,
        "issued_on": timezone.localdate() - timedelta(days=1),
        "recorded_at": now,
        "verified_at": now,
    }
    values.update(fields)
    return TestRecordFactory(**values)


def open_case(listing: Listing, **fields: object) -> EnforcementCase:
    record = failed_record(listing, **fields)
    cases_open_for_failures()
    return EnforcementCase.objects.get(test_record=record)
