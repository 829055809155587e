"""Demo scorecards for `seed_demo`: about 60 days of history for the demo's trading suppliers,
then today's scorecard computed from the demo's real data (orders, stock, returns, tests,
audits) by the nightly job's own service, so the portal's Scorecard page has a trend and the
standing-change notification shows when today's figures move a supplier's standing.

The history is made up, deterministically (one profile a supplier: steady and excellent, good
with a dip, poor and recovering), through the same arithmetic as the job
(`scorecard_row`), and written once: a supplier with any earlier scorecard keeps its history.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.db import transaction

from marketplace.formatting import suppliers_today
from suppliers.models import Scorecard, Supplier

from .selectors.scoring import COMPONENTS, COUNT
from .services.compute import COUNT_FIELDS, ComputeRun, compute_scorecards, scorecard_row

HISTORY_DAYS = 60


def _counts(profile: int, back: int) -> dict[str, int]:
    """One made-up day: a profile's activity `back` days ago (30-day window sums)."""
    wave = math.sin(back / 9 + profile)
    counts = dict.fromkeys(COUNT_FIELDS, 0)
    if profile == 0:  # steady and careful
        counts.update(
            on_time_due=120 + back % 7,
            on_time_ok=119 + back % 7,
            inspected_lots=24,
            units_sold=900 + 10 * back,
            units_returned=12 + back % 3,
            returns_inspected=12,
            returns_defective=3,
            lab_tests=6,
            lab_passed=6,
        )
    elif profile == 1:  # good, with a rough patch a month ago
        rough = 20 <= back <= 38
        counts.update(
            on_time_due=60,
            on_time_ok=(44 if rough else 58) + int(2 * wave),
            inspected_lots=10,
            rejected_lots=1 if rough else 0,
            units_sold=400,
            units_returned=(30 if rough else 10) + int(3 * wave),
            returns_inspected=20,
            returns_defective=8 if rough else 4,
            lab_tests=3,
            lab_passed=3 if back % 20 else 2,
        )
    else:  # poor, recovering lately
        late = max(0, back - 10) // 3
        counts.update(
            on_time_due=40,
            on_time_ok=max(10, 36 - late),
            inspected_lots=8,
            rejected_lots=min(3, back // 20),
            units_sold=150,
            units_returned=8 + late // 2,
            lab_tests=2,
            lab_passed=2 if back < 25 else 1,
            open_corrective_actions=1 if back > 15 else 0,
        )
    return counts


BLEND_DAYS = 14


def _blend(made_up: dict[str, int], real: dict[str, int], weight: float) -> dict[str, int]:
    """`weight` of the made-up day and the rest of today's real counts, each hit count kept
    within its trials."""
    counts = {
        field: round(made_up[field] * weight + real.get(field, 0) * (1 - weight))
        for field in COUNT_FIELDS
    }
    for component in COMPONENTS:
        if component.kind != COUNT:
            counts[component.hits_field] = min(
                counts[component.hits_field], counts[component.n_field]
            )
    return counts


def seed_scorecards() -> ComputeRun:
    today = suppliers_today()
    suppliers = list(
        Supplier.objects.filter(status__in=(Supplier.Status.ACTIVE, Supplier.Status.SUSPENDED))
        .exclude(scorecards__day__lt=today)
        .order_by("pk")
    )
    # Today's counts from the demo's own data first: the made-up history runs into them over
    # its last BLEND_DAYS, so the trend reaches today's figures without a cliff.
    compute_scorecards(day=today, supplier_ids=[s.pk for s in suppliers])
    real = {
        card.supplier_id: {field: getattr(card, field) for field in COUNT_FIELDS}
        for card in Scorecard.objects.filter(day=today, supplier__in=suppliers)
    }
    cards = []
    for profile, supplier in enumerate(suppliers):
        audited = profile != 0
        for back in range(HISTORY_DAYS, 0, -1):
            counts = _counts(profile % 3, back)
            if supplier.pk in real:
                counts = _blend(counts, real[supplier.pk], min(1.0, back / BLEND_DAYS) ** 2)
            cards.append(scorecard_row(supplier.pk, today - timedelta(days=back), counts, audited))
    with transaction.atomic():
        Scorecard.objects.bulk_create(cards, ignore_conflicts=True)
    # Today's again, as the nightly job does it, now with the day before to compare with.
    return compute_scorecards(day=today)
