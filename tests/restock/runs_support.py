"""Data for the planning run's tests (tests/restock/test_runs*.py, test_workers*.py): listings
with a known demand history, made set-based so a few hundred cost little, and the proposals
and forecasts a run left, in a form two runs can be compared by."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from catalogue.models import Category, Listing, Product
from restock.models import DemandSignal, Forecast, RestockProposal
from suppliers.models import Supplier
from tests.factories.suppliers import SupplierFactory

# What a run decides, without the times it decided it at.
PROPOSAL_FIELDS = (
    "listing_id",
    "status",
    "quantity",
    "urgent",
    "method",
    "mean_daily",
    "demand_over_lead",
    "safety_stock",
    "need",
    "available",
    "inbound",
    "open_orders",
)
FORECAST_FIELDS = ("listing_id", "pattern", "method", "fallback", "mean_daily", "mase", "daily")


def seed_demand(
    listings: int, *, today: date, days: int = 120, seed: int = 7, others: int = 0
) -> list[int]:
    """`listings` live fully-managed listings of one supplier, each with `days` days of demand
    up to `today` (smooth, intermittent or none, fixed by `seed`), and `others` listings the
    planner skips (semi-managed, draft, delisted, JIT) between them. Returns the planned ids."""
    rng = random.Random(seed)
    supplier: Supplier = SupplierFactory()
    category, _created = Category.objects.get_or_create(
        code="restock-runs", defaults={"name_en": "Toys", "name_zh": "玩具"}
    )
    planned = (Listing.Mode.FULLY_MANAGED, Listing.Status.LIVE, False)
    kinds: list[tuple[str, str, bool]] = [planned] * listings
    skipped = [
        (Listing.Mode.SEMI_MANAGED, Listing.Status.LIVE, False),
        (Listing.Mode.FULLY_MANAGED, Listing.Status.DRAFT, False),
        (Listing.Mode.FULLY_MANAGED, Listing.Status.DELISTED, False),
        (Listing.Mode.FULLY_MANAGED, Listing.Status.LIVE, True),  # JIT: made to order
    ]
    for i in range(others):
        kinds.insert(rng.randrange(len(kinds) + 1), skipped[i % len(skipped)])
    products = Product.objects.bulk_create(
        Product(
            title_en=f"Runs product {i}",
            title_zh=f"计划商品{i}",
            category=category,
            hs_code="950300",
            weight_g=300,
            length_cm="10.0",
            width_cm="10.0",
            height_cm="10.0",
            declared_value_usd="5.00",
            reference_price_cny="15.00",
        )
        for i in range(len(kinds))
    )
    made = Listing.objects.bulk_create(
        Listing(
            supplier=supplier, product=product, mode=mode, status=status, is_jit=jit, case_pack=6
        )
        for product, (mode, status, jit) in zip(products, kinds, strict=True)
    )
    planned_ids = [
        listing.pk for listing in made if (listing.mode, listing.status, listing.is_jit) == planned
    ]
    signals = []
    for listing_id in planned_ids:
        kind = rng.random()
        level = rng.uniform(0.5, 6)
        for back in range(days):
            if kind < 0.5:  # smooth, weekly rhythm
                units = max(0, round(rng.gauss(level * (1.3 if back % 7 < 2 else 1), level / 3)))
            elif kind < 0.9:  # intermittent
                units = rng.randint(1, 8) if rng.random() < 0.15 else 0
            else:  # nothing sold
                units = 0
            if units:
                signals.append(
                    DemandSignal(
                        listing_id=listing_id,
                        market="US",
                        day=today - timedelta(days=back),
                        views=units * 20,
                        add_to_carts=units * 3,
                        units_ordered=units,
                    )
                )
    DemandSignal.objects.bulk_create(signals, batch_size=5000)
    return planned_ids


def outcome() -> dict[str, Any]:
    """The proposals and forecasts there are, keyed by listing."""
    return {
        "proposals": {
            row["listing_id"]: row
            for row in RestockProposal.objects.order_by("listing_id", "-id").values(
                *PROPOSAL_FIELDS
            )
        },
        "forecasts": {
            row["listing_id"]: row
            for row in Forecast.objects.order_by("listing_id").values(*FORECAST_FIELDS)
        },
    }


def forget_plans() -> None:
    """Back to before any run: no proposals, no forecasts, no dead-stock dates."""
    RestockProposal.objects.all().delete()
    Forecast.objects.all().delete()
    Listing.objects.update(dead_stock_since=None)
