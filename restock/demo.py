"""Demo demand for `seed_demo`: 120 days of the storefront's signals for each planned demo
listing (posted through the storefront's own service), then one planning run in-process, so the
portal's Restock page and the admin's proposals and forecasts have something to show.

Deterministic: the same demo gives the same signals (a repeat replaces them) and the same
proposals (the run updates the open proposal of each listing instead of adding one). Each
planned listing gets a demand of its own kind by its place: a steady seller with a weekly swing
that took off in the last week (trending: its proposal is urgent), a steady one, and an
intermittent one.
"""

from __future__ import annotations

import math
import random
from datetime import timedelta

from marketplace.formatting import suppliers_today

from .selectors.demand import planned_listings
from .services.runs import plan_inline, plan_start
from .services.signals import signals_ingest

DAYS = 120


def _units(kind: int, back: int, rng: random.Random) -> int:
    weekly = 1 + 0.3 * math.sin(2 * math.pi * back / 7)
    if kind == 0:  # steady, then trending over the last week
        level = 4.0 * weekly * (4 if back < 7 else 1)
        return max(0, round(rng.gauss(level, math.sqrt(level))))
    if kind == 1:  # steady
        level = 9.0 * weekly
        return max(0, round(rng.gauss(level, math.sqrt(level))))
    # intermittent: an order on about one day in four
    return rng.choice((1, 2, 3, 6)) if rng.random() < 0.25 else 0


def seed_restock() -> None:
    today = suppliers_today()
    rows = []
    for kind, listing_id in enumerate(
        planned_listings().order_by("pk").values_list("pk", flat=True)
    ):
        rng = random.Random(listing_id)  # noqa: S311  (demo data, not a secret)
        for back in range(DAYS, 0, -1):
            units = _units(kind % 3, back, rng)
            rows.append(
                {
                    "listing": listing_id,
                    "market": "US" if back % 3 else "EU",
                    "day": (today - timedelta(days=back)).isoformat(),
                    "views": units * 40 + rng.randrange(20, 60),
                    "add_to_carts": units * 3 + rng.randrange(0, 4),
                    "units_ordered": units,
                }
            )
    for start in range(0, len(rows), 10_000):
        signals_ingest(rows[start : start + 10_000], today=today)
    plan_inline(plan_start(dispatch=False))
