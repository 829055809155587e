"""The JIT status reason is a code (the portal words it when read); rows written before as
sentences become codes by the migration."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from suppliers.models import Supplier
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("suppliers.migrations.0006_jit_status_reason_codes")


def test_sentences_written_before_become_codes():
    paused = SupplierFactory(
        jit_status="paused",
        jit_status_reason="Deposit 4900.00 CNY is below the JIT minimum of 5000.00 CNY.",
    )
    enrolled = SupplierFactory(
        jit_status="enrolled", jit_status_reason="Enrolled: every condition met."
    )
    back = SupplierFactory(
        jit_status="enrolled",
        jit_status_reason="Deposit 5000.00 CNY is back at or above the JIT minimum of 5000.00 CNY.",
    )
    back_zh = SupplierFactory(
        jit_status="enrolled",
        jit_status_reason="保证金余额 5000.00 元，已恢复至不低于 JIT 备货最低保证金 5000.00 元。",  # noqa: RUF001
    )
    untouched = SupplierFactory(jit_status="not_enrolled", jit_status_reason="")
    migration.reasons_to_codes(apps, None)
    reasons = {
        s.pk: s.jit_status_reason
        for s in Supplier.objects.filter(
            pk__in=[paused.pk, enrolled.pk, back.pk, back_zh.pk, untouched.pk]
        )
    }
    assert reasons == {
        paused.pk: "deposit_below_minimum",
        enrolled.pk: "enrolled",
        back.pk: "deposit_restored",
        back_zh.pk: "deposit_restored",
        untouched.pk: "",
    }
