"""Two runs of `cases_open_for_failures` at once on PostgreSQL (issue 12, "Enforcement"): each
failed record gets one case, the ladder counts each case once (steps 1, 2, 3 whoever opens
which), one fine per fined step, the supplier suspended once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from compliance.models import EnforcementCase, MarketHold
from compliance.services.enforcement import cases_open_for_failures
from marketplace.models import Event
from suppliers.models import LedgerEntry, Supplier
from tests.concurrency import run_in_threads

from .enforcement_helpers import failed_record, failing_listing

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_runs_at_once_open_each_case_once_and_climb_the_ladder_once():
    first = failing_listing()
    supplier = first.supplier
    records = [failed_record(first)] + [failed_record(failing_listing(supplier)) for _ in range(3)]
    others = [failed_record(failing_listing()) for _ in range(3)]

    opened = run_in_threads(cases_open_for_failures, cases_open_for_failures)

    assert sum(opened) == 7
    assert cases_open_for_failures() == 0
    cases = list(EnforcementCase.objects.filter(supplier=supplier).order_by("opened_at", "pk"))
    assert [c.test_record_id for c in cases] == [r.pk for r in records]
    assert [c.step for c in cases] == [1, 2, 3, 3]
    fines = LedgerEntry.objects.filter(supplier=supplier, kind=LedgerEntry.Kind.FINE)
    assert sorted(f.amount for f in fines) == [Decimal("-2000.00")] * 3
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SUSPENDED
    assert (
        Event.objects.filter(kind="supplier.status_changed", supplier_id=supplier.pk).count() == 1
    )
    assert [c.step for c in EnforcementCase.objects.exclude(supplier=supplier)] == [1, 1, 1]
    assert EnforcementCase.objects.count() == len(records) + len(others)
    assert MarketHold.objects.count() == 7
    assert Event.objects.filter(kind="compliance.case_opened").count() == 7
