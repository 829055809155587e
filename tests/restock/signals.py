"""What the demand-signal tests share: rows as the storefront sends them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from marketplace.formatting import suppliers_today


def day(days_ago: int = 1) -> str:
    return (suppliers_today() - timedelta(days=days_ago)).isoformat()


def row(listing: int, market: str = "US", days_ago: int = 1, **counts: Any) -> dict[str, Any]:
    return {
        "listing": listing,
        "market": market,
        "day": day(days_ago),
        "views": counts.get("views", 100),
        "add_to_carts": counts.get("add_to_carts", 10),
        "units_ordered": counts.get("units_ordered", 3),
    }


def stored(model: Any) -> list[tuple[int, str, date, int, int, int, int]]:
    return list(
        model.objects.order_by("listing_id", "day", "market").values_list(
            "listing_id",
            "market",
            "day",
            "views",
            "add_to_carts",
            "units_ordered",
            "platform_units",
        )
    )
