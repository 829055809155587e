"""Start-up checks of the scorecard's settings: standing bands that cover 0-100 without gaps or
overlaps (suppliers.standing.check_bands), and weights that name known components and are not
negative. A bad setting stops `manage.py` (check, runserver, migrate) with the reason."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import checks

from suppliers.standing import check_bands

from .selectors.scoring import COMPONENT_NAMES


def weight_problems(weights: Any) -> list[str]:
    if not isinstance(weights, dict):
        return ["SCORECARD_WEIGHTS must be a dict of component name to weight"]
    problems = []
    unknown = sorted(set(weights) - COMPONENT_NAMES)
    if unknown:
        problems.append(
            f"SCORECARD_WEIGHTS names unknown components {unknown} "
            f"(known: {sorted(COMPONENT_NAMES)})"
        )
    for name, weight in weights.items():
        try:
            value = Decimal(str(weight))
        except InvalidOperation:
            problems.append(f"SCORECARD_WEIGHTS[{name!r}] is not a number: {weight!r}")
            continue
        if not value.is_finite() or value < 0:
            problems.append(f"SCORECARD_WEIGHTS[{name!r}] must be 0 or more, not {weight}")
    if not problems and not any(Decimal(str(w)) > 0 for w in weights.values()):
        problems.append("SCORECARD_WEIGHTS must weigh at least one component above 0")
    return problems


def check_scorecard_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    try:
        band_problems = check_bands(settings.SCORECARD_STANDINGS)
    except (TypeError, ValueError, InvalidOperation) as exc:
        band_problems = [f"SCORECARD_STANDINGS is not a list of (name, low, high): {exc}"]
    for problem in band_problems:
        errors.append(
            checks.Error(
                f"SCORECARD_STANDINGS: {problem}",
                hint="Bands run from 0 to 100, each starting where the one before ends.",
                id="scorecards.E001",
            )
        )
    for problem in weight_problems(settings.SCORECARD_WEIGHTS):
        errors.append(checks.Error(problem, id="scorecards.E002"))
    return errors
