"""Reading scorecards: who may see which (every door fetches through `scorecards_visible_to`, so
a supplier never reaches another's), and a scorecard explained component by component (the
portal's page, the admin's detail and the API share `explain`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from suppliers.models import Scorecard
from suppliers.selectors import supplier_id_for

from .scoring import COMPONENTS, counts_of, interval, scores, weights_used


def scorecards_visible_to(user: User | AnonymousUser) -> QuerySet[Scorecard]:
    """A supplier user sees its own supplier's scorecards; integrators with read access and
    staff who may view scorecards, all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Scorecard.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("suppliers.view_scorecard"):
        return Scorecard.objects.all()
    return Scorecard.objects.none()


def latest_scorecard(supplier_id: int) -> Scorecard | None:
    return Scorecard.objects.filter(supplier_id=supplier_id).order_by("-day").first()


def history(supplier_id: int, *, until: date, days: int) -> list[Scorecard]:
    """The supplier's scorecards of the `days` days up to `until`, oldest first."""
    return list(
        Scorecard.objects.filter(
            supplier_id=supplier_id, day__gt=until - timedelta(days=days), day__lte=until
        ).order_by("day")
    )


@dataclass(frozen=True)
class Explained:
    """One component of a scorecard as the doors show it."""

    name: str
    kind: str
    n: int
    hits: int
    scored: bool
    low: Decimal | None  # the rate's Wilson interval (0-1); None for corrective actions
    high: Decimal | None
    score: Decimal | None  # pessimistic
    score_high: Decimal | None  # optimistic
    weight: int  # SCORECARD_WEIGHTS
    share: Decimal | None  # its share of the overall score (renormalised), None: not scored


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _rate(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.0001"))


def explain(card: Scorecard) -> list[Explained]:
    found = []
    pairs = {}
    for component in COMPONENTS:
        n, hits = counts_of(component, card)
        pairs[component.name] = scores(component, n, hits)
    shares = weights_used({name for name, pair in pairs.items() if pair is not None})
    for component in COMPONENTS:
        n, hits = counts_of(component, card)
        bounds = interval(component, n, hits)
        pair = pairs[component.name]
        found.append(
            Explained(
                name=component.name,
                kind=component.kind,
                n=n,
                hits=hits,
                scored=pair is not None,
                low=None if bounds is None else _rate(bounds[0]),
                high=None if bounds is None else _rate(bounds[1]),
                # The stored (pessimistic) score: what the overall score was computed from.
                score=_cents(getattr(card, component.score_field)),
                score_high=None if pair is None else pair[1],
                weight=int(settings.SCORECARD_WEIGHTS.get(component.name, 0)),
                share=shares.get(component.name),
            )
        )
    return found
