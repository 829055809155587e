"""`manage.py seed_bench --jit-orders N` (issue 5, "Benchmark"): N orders in realistic states,
about a tenth of them owing penalties, and a refusal to seed a database that holds data."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from orders.models import JitOrder, Penalty
from orders.services.sweep import sweep_jit_deadlines
from suppliers.models import LedgerEntry, Supplier
from tests.factories.suppliers import SupplierFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_seed_bench_makes_n_orders_of_which_about_a_tenth_are_due():
    out = StringIO()
    call_command("seed_bench", jit_orders=5000, stdout=out, verbosity=0)
    assert JitOrder.objects.count() == 5000
    assert "5,000 JIT orders" in out.getvalue()
    statuses = set(JitOrder.objects.values_list("status", flat=True))
    assert {"awaiting_shipment", "accepted", "rejected_quality", "failed_stockout"} <= statuses
    earlier = Penalty.objects.count()
    assert earlier > 0  # earlier sweeps' penalties are in place, with their ledger entries
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PENALTY).exists()

    result = sweep_jit_deadlines()
    assert 400 <= result.penalties <= 600, result  # about 0.1 x N
    assert result.paused_suppliers > 0  # some deposits were seeded just above the minimum
    assert sweep_jit_deadlines().penalties == 0


def test_seed_bench_refuses_a_database_with_data():
    SupplierFactory()
    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_bench", jit_orders=10, verbosity=0)
    assert Supplier.objects.count() == 1
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_bench", jit_orders=0, verbosity=0)
