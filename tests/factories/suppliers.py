from __future__ import annotations

import factory

from suppliers.models import Membership, Supplier

from .accounts import UserFactory


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    name_zh = factory.Sequence(lambda n: f"测试工厂{n}号")
    name_en = factory.Sequence(lambda n: f"Test Factory {n}")
    status = Supplier.Status.ACTIVE


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    supplier = factory.SubFactory(SupplierFactory)
    role = Membership.Role.OWNER
