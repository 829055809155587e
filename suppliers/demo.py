"""Demo suppliers for `seed_demo`: several provinces and states, one JIT-enrolled with a healthy
deposit, one just above the JIT minimum, one outside the pilot provinces. Built through the
services, so their history and ledger look real. Idempotent: a supplier that exists (by credit
code) is left as it is."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from accounts.models import User
from marketplace.errors import DomainError

from .models import Factory, Membership, Province, Supplier
from .services import status as status_services
from .services.jit import jit_apply
from .services.ledger import ledger_penalty, ledger_top_up
from .validators import credit_code_check_character

S = Supplier.Status


@dataclass(frozen=True)
class DemoSupplier:
    name_zh: str
    name_en: str
    code_stem: str  # the first 17 characters of the credit code
    province: str
    city: str
    cluster: str
    status: str
    categories: list[str]
    deposit: Decimal = Decimal("0")
    jit: bool = False
    owner: str | None = None
    penalties: list[Decimal] = field(default_factory=list)
    changes_requested: str = ""

    @property
    def credit_code(self) -> str:
        return self.code_stem + credit_code_check_character(self.code_stem)


SUPPLIERS = [
    DemoSupplier(
        "深圳明亮玩具有限公司",
        "Shenzhen Bright Toys Co., Ltd.",
        "91440300MA5F00001",
        Province.GUANGDONG,
        "Shantou",
        "Chenghai toys",
        S.ACTIVE,
        ["toys"],
        deposit=Decimal("20000.00"),
        jit=True,
        owner="bright",
        penalties=[Decimal("128.00")],
    ),
    DemoSupplier(
        "义乌优家家居用品厂",
        "Yiwu Youjia Home Goods Factory",
        "91330782MA2E00002",
        Province.ZHEJIANG,
        "Yiwu",
        "Yiwu small commodities",
        S.ACTIVE,
        ["home_goods"],
        deposit=Decimal("8000.00"),
        owner="youjia",
    ),
    DemoSupplier(
        "东莞智联电子科技有限公司",
        "Dongguan Zhilian Electronics",
        "91441900MA4W00003",
        Province.GUANGDONG,
        "Dongguan",
        "Dongguan electronics",
        S.ACTIVE,
        ["electronics"],
        deposit=Decimal("5050.00"),
        jit=True,
    ),
    DemoSupplier(
        "广州花颜化妆品有限公司",
        "Guangzhou Huayan Cosmetics",
        "91440101MA5C00004",
        Province.GUANGDONG,
        "Guangzhou",
        "Baiyun cosmetics",
        S.ONBOARDING,
        ["cosmetics"],
    ),
    DemoSupplier(
        "厦门海风户外用品有限公司",
        "Xiamen Haifeng Outdoor",
        "91350200MA3Q00005",
        Province.FUJIAN,
        "Xiamen",
        "",
        S.APPLIED,
        ["sports_outdoor"],
        changes_requested="Please upload a clearer scan of the business licence.",
    ),
    DemoSupplier(
        "长沙湘绣纺织品厂",
        "Changsha Xiangxiu Textiles",
        "91430100MA4L00006",
        Province.HUNAN,
        "Changsha",
        "",
        S.SUSPENDED,
        ["apparel"],
        deposit=Decimal("1200.00"),
    ),
    DemoSupplier(
        "宁波远洋塑料制品厂",
        "Ningbo Yuanyang Plastics",
        "91330200MA2H00007",
        Province.ZHEJIANG,
        "Ningbo",
        "",
        S.TERMINATED,
        ["home_goods"],
    ),
]

# How each final state is reached from `applied`, with the reasons an operator would give.
PATHS: dict[str, list[tuple[str, str]]] = {
    S.APPLIED: [],
    S.ONBOARDING: [(S.ONBOARDING, "Application complete")],
    S.ACTIVE: [(S.ONBOARDING, "Application complete"), (S.ACTIVE, "Onboarding done")],
    S.SUSPENDED: [
        (S.ONBOARDING, "Application complete"),
        (S.ACTIVE, "Onboarding done"),
        (S.SUSPENDED, "Repeated quality rejections under review"),
    ],
    S.TERMINATED: [(S.TERMINATED, "Licence does not cover plastic goods production")],
}


def seed_supplier(demo: DemoSupplier, *, operator: User, owner: User | None) -> Supplier:
    existing = Supplier.objects.filter(credit_code=demo.credit_code).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        supplier = Supplier.objects.create(
            name_zh=demo.name_zh,
            name_en=demo.name_en,
            credit_code=demo.credit_code,
            contact_name="王经理",
            contact_phone="+86 138 0000 0000",
            contact_email=f"contact@{demo.code_stem.lower()}.example.cn",
            intended_categories=demo.categories,
        )
        Factory.objects.create(
            supplier=supplier,
            province=demo.province,
            city=demo.city,
            address=f"{demo.city} Industrial Park, Building 3",
            industrial_cluster=demo.cluster,
        )
        if owner is not None:
            Membership.objects.update_or_create(
                user=owner, defaults={"supplier": supplier, "role": Membership.Role.OWNER}
            )
        for target, reason in PATHS[demo.status]:
            status_services.supplier_transition(supplier, target, actor=operator, reason=reason)
        if demo.changes_requested:
            status_services.supplier_request_changes(
                supplier, actor=operator, comment=demo.changes_requested
            )
        if demo.deposit:
            ledger_top_up(
                supplier,
                amount=demo.deposit,
                bank_reference=f"DEMO-{demo.code_stem[-5:]}-1",
                actor=None,
            )
        if demo.jit:
            # A demo whose conditions fail stays out of JIT, as it would in life.
            with contextlib.suppress(DomainError):
                jit_apply(supplier, actor=owner or operator)
        for amount in demo.penalties:
            ledger_penalty(
                supplier,
                amount=amount,
                actor=None,
                reference=None,
                memo="Demo: shipped 26 h after the order (1x goods value)",
            )
            ledger_top_up(
                supplier,
                amount=amount,
                bank_reference=f"DEMO-{demo.code_stem[-5:]}-2",
                actor=None,
            )
    return supplier
