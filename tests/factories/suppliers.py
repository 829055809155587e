from __future__ import annotations

from decimal import Decimal

import factory

from suppliers.models import Factory, Membership, Province, Supplier
from suppliers.validators import credit_code_check_character

from .accounts import UserFactory


def credit_code(n: int) -> str:
    first17 = f"91440300{n:09d}"
    return first17 + credit_code_check_character(first17)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name_zh = factory.Sequence(lambda n: f"测试工厂{n}号")
    name_en = factory.Sequence(lambda n: f"Test Factory {n}")
    credit_code = factory.Sequence(credit_code)
    contact_name = "Li Wei"
    status = Supplier.Status.ACTIVE


class FactoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Factory

    supplier = factory.SubFactory(SupplierFactory)
    province = Province.GUANGDONG
    city = "Shantou"
    address = "1 Industrial Road, Chenghai"
    industrial_cluster = "Chenghai toys"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    supplier = factory.SubFactory(SupplierFactory)
    role = Membership.Role.STAFF


def funded_supplier(balance: Decimal | str = "10000.00", **fields: object) -> Supplier:
    """An active supplier with a Guangdong factory and `balance` CNY on deposit."""
    from suppliers.services.ledger import ledger_top_up

    supplier = SupplierFactory(**fields)
    FactoryFactory(supplier=supplier)
    if Decimal(balance) > 0:
        ledger_top_up(supplier, amount=balance, bank_reference=f"BANK-{supplier.pk}", actor=None)
    return supplier
