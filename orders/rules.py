"""The JIT penalty table (SPEC, "JIT pre-sale orders"), as data. Its numbers are settings.

| tier      | when                                                   | multiple of goods value |
| late_24h  | shipped (or still unshipped) more than 24 h after order | 1                       |
| late_48h  | more than 48 h                                          | 4 more (5 in total)     |
| quality   | rejected at warehouse inspection for quality            | 5                       |
| stockout  | declared, or 72 h unshipped                             | 5                       |

One order's penalties standing never exceed 5 x goods value: each tier takes at most what is
left under the cap, assessed in the order above. A penalty waived on appeal or reversed by late
evidence no longer stands, so it no longer counts toward the cap (`JitOrder.penalty_total` is
the sum of the penalties standing; see `cap_left`). Any change to the rules bumps RULE_VERSION,
which every penalty records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings

RULE_VERSION = "jit-2026.1"


@dataclass(frozen=True)
class Rules:
    ship_within: timedelta
    late_after: timedelta
    stockout_after: timedelta
    late_multiple: Decimal
    late_total_multiple: Decimal
    quality_multiple: Decimal
    stockout_multiple: Decimal
    cap_multiple: Decimal
    reminders: tuple[timedelta, timedelta]
    appeal_days: int


def rules() -> Rules:
    jit: dict[str, Any] = settings.JIT_PENALTY_RULES
    return Rules(
        ship_within=timedelta(hours=jit["ship_within_hours"]),
        late_after=timedelta(hours=jit["late_after_hours"]),
        stockout_after=timedelta(hours=jit["stockout_after_hours"]),
        late_multiple=Decimal(jit["late_multiple"]),
        late_total_multiple=Decimal(jit["late_total_multiple"]),
        quality_multiple=Decimal(jit["quality_multiple"]),
        stockout_multiple=Decimal(jit["stockout_multiple"]),
        cap_multiple=Decimal(jit["cap_multiple"]),
        reminders=(
            timedelta(hours=jit["first_reminder_hours"]),
            timedelta(hours=jit["second_reminder_hours"]),
        ),
        appeal_days=jit["appeal_days"],
    )


def cap_left(r: Rules, goods_value: Decimal, standing: Decimal) -> Decimal:
    """What the cap still allows on an order whose penalties standing add up to `standing`."""
    return max(Decimal("0"), r.cap_multiple * goods_value - standing)
