"""Customs decisions for many parcels, set-based (issue 13, "Benchmark"); run by `make bench`.

On the throwaway PostgreSQL database bench/run.py made (with the customs tables its migrations
seed; seeded again here in case an earlier benchmark emptied the database):

1. seed N parcels (BENCH_CUSTOMS_PARCELS, default 100,000) in one SQL statement each for
   parcels and items: the six markets, both channels, one to three items each (toys,
   electronics, apparel, cosmetics, plastics; made in CN, HK, VN, US or MX; values from a few
   units to over each market's threshold), ship dates spread over the days around every change
   of the de minimis table and the US surcharge (a day before, the day of) and a few ordinary
   days;
2. `parcels_decide(all parcels)`: every decision written (first run: inserts), timed, queries
   counted;
3. the same again (every decision rewritten: the upsert's update path), timed;
4. a check: for BENCH_CUSTOMS_SAMPLE (default 300) random parcels, the decision written equals
   the single-parcel judgement (`customs_judge`) of the same facts.

Report: the time and parcels per second of both runs.
"""

from __future__ import annotations

import importlib
import os
import random
import time
from datetime import date, timedelta
from typing import Any

# The days around each change of the seeded table (the day before and the day of), and a few
# ordinary days.
CHANGE_DAYS = [
    date(2016, 3, 10),
    date(2018, 7, 1),
    date(2020, 7, 1),
    date(2021, 1, 1),
    date(2021, 7, 1),
    date(2025, 5, 2),
    date(2025, 8, 29),
    date(2026, 2, 24),
    date(2026, 7, 1),
    date(2026, 7, 24),
    date(2028, 7, 2),
]
SHIP_DAYS = sorted(
    {d - timedelta(days=1) for d in CHANGE_DAYS}
    | set(CHANGE_DAYS)
    | {date(2019, 5, 5), date(2024, 11, 11), date(2025, 12, 1)}
)


def _seed(n: int) -> int:
    """Returns the bench supplier's id (its parcels are the ones decided)."""
    from django.apps import apps as django_apps
    from django.db import connection
    from django.utils import timezone

    from catalogue.models import Category, Listing, Product
    from orders.models import ConsumerOrder
    from suppliers.models import Supplier

    importlib.import_module("customs.migrations.0002_seed_rules").seed(django_apps, None)
    now = timezone.now()
    tag = now.strftime("%y%m%d%H%M%S")
    supplier = Supplier.objects.create(
        name_zh=f"海关基准{tag}",
        name_en=f"Customs bench {tag}",
        credit_code=f"H{tag}",
        contact_name="Bench",
    )
    category, _created = Category.objects.get_or_create(
        code="bench-customs", defaults={"name_en": "Customs bench", "name_zh": "海关基准"}
    )
    product = Product.objects.create(
        title_en="Customs bench product",
        title_zh="海关基准商品",
        category=category,
        hs_code="950300",
        weight_g=300,
        length_cm=10,
        width_cm=10,
        height_cm=5,
        declared_value_usd=5,
        owner=supplier,
    )
    listing = Listing.objects.create(
        supplier=supplier, product=product, mode="fully_managed", status="live"
    )
    markets = ["US", "EU", "UK", "CA", "AU", "JP"]
    orders = ConsumerOrder.objects.bulk_create(
        ConsumerOrder(
            listing=listing,
            supplier=supplier,
            external_id=f"CB-{tag}-{i}",
            market=markets[i % 6],
            country={"EU": "DE", "UK": "GB"}.get(markets[i % 6], markets[i % 6]),
            quantity=1,
            unit_price=10,
            currency="USD",
            unit_supply_price=10,
            status="fulfilled",
            ordered_at=now,
            fulfilled_at=now,
        )
        for i in range(600)
    )
    first_order = min(order.pk for order in orders)
    days = "ARRAY[" + ", ".join(f"DATE '{d.isoformat()}'" for d in SHIP_DAYS) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO shipping_parcel (order_id, listing_id, supplier_id, mode, market, country,
                channel, tracking_number, carrier, declared_value, currency, weight_g, status,
                created_at, departed_origin_at, picked_up_at, hold_reasons, exception_note)
            SELECT %(first)s + i %% 600, %(listing)s, %(supplier)s, 'platform',
                   (ARRAY['US','EU','UK','CA','AU','JP'])[1 + i %% 6],
                   (ARRAY['US','DE','GB','CA','AU','JP'])[1 + i %% 6],
                   CASE WHEN i %% 7 = 3 THEN 'postal' ELSE 'courier' END,
                   '', '', 0,
                   (ARRAY['USD','EUR','GBP','CAD','AUD','JPY'])[1 + i %% 6], 300, 'departed_origin',
                   %(now)s,
                   (({days})[1 + (i / 6) %% {len(SHIP_DAYS)}] + TIME '10:00') AT TIME ZONE 'UTC',
                   NULL, '[]'::jsonb, ''
            FROM generate_series(0, %(n)s - 1) AS i
            """,
            {
                "first": first_order,
                "listing": listing.pk,
                "supplier": supplier.pk,
                "n": n,
                "now": now,
            },
        )
        # One to three items per parcel; values scaled to the market's currency (JPY x 150).
        cursor.execute(
            """
            INSERT INTO shipping_parcelitem (parcel_id, product_id, description, hs_code,
                origin_country, quantity, unit_value, weight_g)
            SELECT p.id, %(product)s, 'Bench item',
                   (ARRAY['950300','851762','610910','330499','392690','950490'])
                       [1 + (p.id + k * 7) %% 6],
                   (ARRAY['CN','CN','CN','HK','VN','US','MX'])[1 + (p.id / 3 + k) %% 7],
                   1 + (p.id + k) %% 2,
                   round(((ARRAY[3.5, 12.0, 19.99, 45.0, 79.0, 140.0, 260.0, 700.0])
                       [1 + (p.id * 13 + k * 5) %% 8]
                       * CASE p.market WHEN 'JP' THEN 150 ELSE 1 END)::numeric, 2),
                   100
            FROM shipping_parcel p
            CROSS JOIN generate_series(0, 2) AS k
            WHERE p.supplier_id = %(supplier)s AND k <= p.id %% 3
            """,
            {"product": product.pk, "supplier": supplier.pk},
        )
        cursor.execute("ANALYZE shipping_parcel")
        cursor.execute("ANALYZE shipping_parcelitem")
    return supplier.pk


def _sample_matches(parcel_ids: list[int]) -> bool:
    from django.conf import settings

    from customs.selectors.judge import ItemFacts, ParcelFacts, customs_judge
    from shipping.models import CustomsDecision

    decisions = CustomsDecision.objects.filter(parcel_id__in=parcel_ids).select_related("parcel")
    for decision in decisions:
        parcel = decision.parcel
        answer = customs_judge(
            ParcelFacts(
                market=parcel.market,
                channel=parcel.channel,
                items=[
                    ItemFacts(i.hs_code, i.origin_country, i.quantity, i.unit_value)
                    for i in parcel.items.order_by("id")
                ],
                ship_date=decision.ship_date,
                ioss_registered=settings.PLATFORM_IOSS_REGISTERED,
            )
        )
        mine: tuple[Any, ...] = (
            decision.outcome,
            decision.customs_value,
            decision.duty,
            decision.tax,
            decision.tax_at_sale,
            decision.rule_id,
            decision.arithmetic,
        )
        single = (
            answer.outcome.value,
            answer.customs_value,
            answer.duty,
            answer.tax,
            answer.tax_at_sale,
            answer.rule_id,
            answer.steps,
        )
        if mine != single:
            print("differs:", parcel.pk, mine[:6], single[:6])
            return False
    return decisions.count() == len(parcel_ids)


def run() -> None:
    from django.db import connection
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext

    from shipping.models import CustomsDecision, Parcel
    from shipping.services.customs import parcels_decide

    if connection.vendor != "postgresql":
        raise SystemExit("the customs benchmark needs PostgreSQL (set DATABASE_URL)")
    n = int(os.environ.get("BENCH_CUSTOMS_PARCELS", "100000"))
    sample = int(os.environ.get("BENCH_CUSTOMS_SAMPLE", "300"))
    started = time.perf_counter()
    supplier_id = _seed(n)
    print(
        f"seeded {n:,} parcels over {len(SHIP_DAYS)} ship days in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    parcels = Parcel.objects.filter(supplier_id=supplier_id)

    for label in ("first run (inserts)", "second run (updates)"):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            decided = parcels_decide(parcels)
            seconds = time.perf_counter() - started
        print(
            f"parcels_decide {label:22} {seconds:8.2f} s   {decided:,} parcels   "
            f"{decided / seconds:10,.0f} parcels/s   {len(queries.captured_queries)} queries",
            flush=True,
        )
    outcomes = dict(
        CustomsDecision.objects.values_list("outcome").annotate(n=Count("id")).order_by()
    )
    print("outcomes:", ", ".join(f"{k} {v:,}" for k, v in sorted(outcomes.items())))
    ids = list(parcels.values_list("pk", flat=True))
    picked = random.Random(13).sample(ids, min(sample, len(ids)))
    same = _sample_matches(picked)
    print(
        f"the set-based decisions equal the single judgement for {len(picked)} sampled parcels: "
        f"{'yes' if same else 'NO'}"
    )
