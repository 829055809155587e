from __future__ import annotations

from decimal import Decimal

import pytest

from marketplace.errors import DomainError
from suppliers.models import Supplier
from suppliers.services.jit import jit_apply, jit_conditions
from tests.factories.suppliers import FactoryFactory, funded_supplier

pytestmark = pytest.mark.django_db


def conditions(supplier):
    return {c.code: c.met for c in jit_conditions(supplier)}


def test_an_active_pilot_supplier_with_the_deposit_enrols():
    supplier = funded_supplier("5000.00")
    assert conditions(supplier) == {"active": True, "pilot_province": True, "deposit": True}
    jit_apply(supplier, actor=None)
    assert supplier.jit_status == Supplier.JitStatus.ENROLLED


@pytest.mark.parametrize(
    ("setup", "failing"),
    [
        ({"balance": "4999.99"}, {"deposit"}),
        ({"status": "onboarding"}, {"active"}),
        ({"province": "Zhejiang"}, {"pilot_province"}),
        ({"status": "suspended", "balance": "0"}, {"active", "deposit"}),
    ],
)
def test_the_portal_is_told_which_condition_fails(setup, failing):
    supplier = funded_supplier(setup.get("balance", "6000"), status=setup.get("status", "active"))
    if "province" in setup:
        supplier.factories.update(province=setup["province"])
    with pytest.raises(DomainError) as refused:
        jit_apply(supplier, actor=None)
    assert set(refused.value.fields) == failing
    assert refused.value.code == "jit_not_eligible"
    supplier.refresh_from_db()
    assert supplier.jit_status == Supplier.JitStatus.NOT_ENROLLED


def test_one_pilot_factory_among_others_is_enough():
    supplier = funded_supplier(
        "5000",
    )
    supplier.factories.update(province="Zhejiang")
    FactoryFactory(supplier=supplier, province="Hainan")
    assert conditions(supplier)["pilot_province"]


def test_the_threshold_and_provinces_are_settings(settings):
    settings.JIT_MIN_DEPOSIT_CNY = Decimal("8000.00")
    settings.JIT_PILOT_PROVINCES = ["Zhejiang"]
    supplier = funded_supplier("7000")
    assert conditions(supplier) == {"active": True, "pilot_province": False, "deposit": False}


def test_applying_twice_is_harmless():
    supplier = funded_supplier("5000")
    jit_apply(supplier, actor=None)
    jit_apply(supplier, actor=None)
    assert supplier.events.filter(kind="supplier.jit_enrolled").count() == 1
