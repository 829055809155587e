"""The nightly scorecards for BENCH_SCORECARD_SUPPLIERS (default 10,000) suppliers with
activity (issue 14, "Benchmark"); run by `make bench`.

Seeds, bulk-created: N active suppliers, each with a listing and, over the last 40 days,
BENCH_SCORECARD_JIT (default 8) JIT orders (some late, some never shipped, some cancelled), 5
fulfilled consumer orders, 2 verified lab test records (1 in 6 a failure); every second supplier
a stocking order shipped (its `stocking.shipped` event), its shipment, line and lot inspection
(1 in 7 rejected); every third a lapsed stocking order; every fifth a factory audit with an open
corrective action. Then times `compute_scorecards` (the job's service: its queries, the Python
scoring, the upsert, the standing-change events) for the day, twice: the first run scores every
supplier (all standings change from "new": an event each), the second rewrites the same rows
(nothing changes: no event). Prints the query count (constant in N) and the standings.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal


def _seed(n: int, jit_each: int) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from catalogue.models import Category, Listing, Product
    from compliance.models import (
        Audit,
        CorrectiveAction,
        Finding,
        Lab,
        Standard,
        TestRecord,
    )
    from logistics.models import (
        InboundLine,
        InboundShipment,
        Inspection,
        StockingOrder,
        Warehouse,
    )
    from marketplace.models import Event
    from orders.models import ConsumerOrder, JitOrder
    from suppliers.models import Supplier

    now = timezone.now()
    tag = now.strftime("%y%m%d%H%M%S")
    batch = 5000
    Supplier.objects.bulk_create(
        (
            Supplier(
                name_zh=f"评分基准{tag}-{i}",
                name_en=f"Scorecard bench {tag}-{i}",
                credit_code=f"S{tag}{i:05d}",
                contact_name="Bench",
                status=Supplier.Status.ACTIVE,
            )
            for i in range(n)
        ),
        batch_size=batch,
    )
    suppliers = list(
        Supplier.objects.filter(credit_code__startswith=f"S{tag}")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    category, _ = Category.objects.get_or_create(
        code="bench-scorecards",
        defaults={"name_en": "Bench", "name_zh": "基准", "risk_level": "low"},
    )
    Product.objects.bulk_create(
        (
            Product(
                title_en=f"Scorecard bench product {tag}-{i}",
                title_zh=f"评分基准商品{i}",
                category=category,
                hs_code="950300",
                weight_g=300,
                length_cm=Decimal("20"),
                width_cm=Decimal("10"),
                height_cm=Decimal("5"),
                declared_value_usd=Decimal("5"),
            )
            for i in range(n)
        ),
        batch_size=batch,
    )
    products = list(
        Product.objects.filter(title_en__startswith=f"Scorecard bench product {tag}-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    Listing.objects.bulk_create(
        (
            Listing(
                supplier_id=s,
                product_id=p,
                mode=Listing.Mode.FULLY_MANAGED,
                status=Listing.Status.LIVE,
                supply_price_cny=Decimal("20.00"),
            )
            for s, p in zip(suppliers, products, strict=True)
        ),
        batch_size=batch,
    )
    listings = dict(
        Listing.objects.filter(supplier_id__in=suppliers).values_list("supplier_id", "pk")
    )
    product_of = dict(zip(suppliers, products, strict=True))
    warehouse, _ = Warehouse.objects.get_or_create(
        code="bench-sc-hub",
        defaults={"name": "Bench hub", "kind": Warehouse.Kind.HUB, "address": "Guangzhou"},
    )

    def jit(i: int, s: int, k: int) -> JitOrder:
        ordered = now - timedelta(days=1 + (i * 7 + k * 5) % 38, minutes=k)
        late = (i + k) % 9 == 0
        unshipped = (i + k) % 23 == 0
        shipped = None if unshipped else ordered + timedelta(hours=30 if late else 6)
        return JitOrder(
            listing_id=listings[s],
            supplier_id=s,
            external_id=f"B{tag}-{i}-{k}",
            quantity=2,
            unit_supply_price=Decimal("20.00"),
            goods_value=Decimal("40.00"),
            ordered_at=ordered,
            status="cancelled"
            if (i + k) % 31 == 0
            else ("awaiting_shipment" if unshipped else "shipped"),
            shipment_recorded_at=shipped,
        )

    JitOrder.objects.bulk_create(
        (jit(i, s, k) for i, s in enumerate(suppliers) for k in range(jit_each)),
        batch_size=batch,
    )
    ConsumerOrder.objects.bulk_create(
        (
            ConsumerOrder(
                listing_id=listings[s],
                supplier_id=s,
                warehouse=warehouse,
                external_id=f"C{tag}-{i}-{k}",
                market="US",
                country="US",
                quantity=1 + (i + k) % 10,
                unit_price=Decimal("19.99"),
                currency="USD",
                unit_supply_price=Decimal("20.00"),
                status=ConsumerOrder.Status.FULFILLED,
                ordered_at=now - timedelta(days=(i + 3 * k) % 35),
                fulfilled_at=now - timedelta(days=(i + 3 * k) % 35),
            )
            for i, s in enumerate(suppliers)
            for k in range(5)
        ),
        batch_size=batch,
    )
    standard, _ = Standard.objects.get_or_create(
        code="BENCH-SC",
        defaults={
            "title": "Bench standard",
            "market": "US",
            "test_cost_cny": Decimal("1000"),
            "effective_from": now.date() - timedelta(days=3650),
        },
    )
    lab = Lab.objects.create(name=f"Scorecard bench lab {tag}")
    TestRecord.objects.bulk_create(
        (
            TestRecord(
                product_id=product_of[s],
                supplier_id=s,
                standard=standard,
                lab=lab,
                report_number=f"R{tag}-{i}-{k}",
                result="fail" if (i + k) % 6 == 0 else "pass",
                issued_on=now.date() - timedelta(days=(i + 11 * k) % 40),
                valid_until=now.date() + timedelta(days=300),
                source=TestRecord.Source.LAB,
                status=TestRecord.Status.VERIFIED,
                verified_at=now,
            )
            for i, s in enumerate(suppliers)
            for k in range(2)
        ),
        batch_size=batch,
    )
    shipped_ones = suppliers[::2]
    StockingOrder.objects.bulk_create(
        (
            StockingOrder(
                supplier_id=s,
                listing_id=listings[s],
                warehouse=warehouse,
                quantity=50,
                status="shipped",
                expires_at=now + timedelta(days=7),
            )
            for s in shipped_ones
        ),
        batch_size=batch,
    )
    orders = list(
        StockingOrder.objects.filter(supplier_id__in=shipped_ones, status="shipped").values_list(
            "pk", "supplier_id"
        )
    )
    Event.objects.bulk_create(
        (
            Event(
                kind="stocking.shipped",
                supplier_id=s,
                occurred_at=now - timedelta(days=(o % 35)),
                payload={"from": "accepted", "to": "shipped"},
                subject_id=str(o),
            )
            for o, s in orders
        ),
        batch_size=batch,
    )
    InboundShipment.objects.bulk_create(
        (
            InboundShipment(
                supplier_id=s, stocking_order_id=o, warehouse=warehouse, status="closed"
            )
            for o, s in orders
        ),
        batch_size=batch,
    )
    shipments = list(
        InboundShipment.objects.filter(supplier_id__in=shipped_ones).values_list(
            "pk", "supplier_id"
        )
    )
    InboundLine.objects.bulk_create(
        (
            InboundLine(shipment_id=sh, listing_id=listings[s], declared=50, received=50)
            for sh, s in shipments
        ),
        batch_size=batch,
    )
    lines = list(
        InboundLine.objects.filter(shipment__supplier_id__in=shipped_ones).values_list(
            "pk", "shipment__supplier_id"
        )
    )
    Inspection.objects.bulk_create(
        (
            Inspection(
                line_id=line,
                supplier_id=s,
                product_id=product_of[s],
                lot_size=50,
                aql="2.5",
                severity="normal",
                severity_reason="normal inspection",
                letter="D",
                sample_size=8,
                accept_number=0,
                reject_number=1,
                defects=1 if line % 7 == 0 else 0,
                result="rejected" if line % 7 == 0 else "accepted",
                inspected_at=now - timedelta(days=line % 33),
            )
            for line, s in lines
        ),
        batch_size=batch,
    )
    StockingOrder.objects.bulk_create(
        (
            StockingOrder(
                supplier_id=s,
                listing_id=listings[s],
                warehouse=warehouse,
                quantity=50,
                status="lapsed",
                expires_at=now - timedelta(days=i % 30),
            )
            for i, s in enumerate(suppliers[::3])
        ),
        batch_size=batch,
    )
    auditor = get_user_model().objects.create_user(username=f"bench-auditor-{tag}")
    audited = suppliers[::5]
    Audit.objects.bulk_create(
        (
            Audit(
                supplier_id=s,
                auditor="Bench",
                audited_on=now.date() - timedelta(days=60),
                score=70,
                recorded_by=auditor,
            )
            for s in audited
        ),
        batch_size=batch,
    )
    audits = list(Audit.objects.filter(supplier_id__in=audited).values_list("pk", "supplier_id"))
    Finding.objects.bulk_create(
        (Finding(audit_id=a, severity="major", area="bench", description="-") for a, _s in audits),
        batch_size=batch,
    )
    findings = list(
        Finding.objects.filter(audit__supplier_id__in=audited).values_list(
            "pk", "audit__supplier_id"
        )
    )
    CorrectiveAction.objects.bulk_create(
        (
            CorrectiveAction(finding_id=f, supplier_id=s, due_on=now.date() + timedelta(days=20))
            for f, s in findings
        ),
        batch_size=batch,
    )


def run() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketplace.formatting import suppliers_today
    from marketplace.models import Event
    from scorecards.services.compute import compute_scorecards
    from suppliers.models import Scorecard

    n = int(os.environ.get("BENCH_SCORECARD_SUPPLIERS", "10000"))
    jit_each = int(os.environ.get("BENCH_SCORECARD_JIT", "8"))
    started = time.perf_counter()
    _seed(n, jit_each)
    print(f"seeded {n:,} suppliers with activity in {time.perf_counter() - started:.1f} s")
    day = suppliers_today()
    with CaptureQueriesContext(connection) as first_queries:
        started = time.perf_counter()
        first = compute_scorecards(day=day)
        first_s = time.perf_counter() - started
    print(f"first run: {first} in {first_s:.2f} s ({len(first_queries)} queries)")
    with CaptureQueriesContext(connection) as second_queries:
        started = time.perf_counter()
        second = compute_scorecards(day=day)
        second_s = time.perf_counter() - started
    print(f"re-run the same day: {second} in {second_s:.2f} s ({len(second_queries)} queries)")
    standings = Counter(Scorecard.objects.filter(day=day).values_list("standing", flat=True))
    print("standings: " + ", ".join(f"{k} {v:,}" for k, v in sorted(standings.items())))
    changes = Event.objects.filter(kind="scorecard.standing_changed").count()
    print(
        f"scorecards written: {Scorecard.objects.filter(day=day).count():,}; "
        f"standing changes told: {changes:,}"
    )
    once = first.suppliers >= n and first.scored >= n
    once = once and changes == first.changed and second.changed == 0
    print(f"every supplier scored once, told once: {'yes' if once else 'no'}")
