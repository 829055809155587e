"""The sentences of the sampling events (compliance.sampling_*), from their payload. Planned and
cancelled requests name no supplier (a test purchase is not announced before its units are
pulled), so suppliers never read those two; their sentences are there for completeness."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from compliance.models import TestRecord
from marketplace.models import Event

from .sentences import Describer
from .subjects import Context


def _result(value: str) -> str:
    return str(dict(TestRecord.Result.choices).get(value, value))


def _units_pulled(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Test purchase: %(units)s unit(s) of one of your listings were taken for an "
        "independent lab test."
    ) % {"units": p.get("units", 1)}


def _result_recorded(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Test purchase: the lab's result was recorded: %(result)s.") % {
        "result": _result(p.get("result", ""))
    }


DESCRIBE_SAMPLING: dict[str, Describer] = {
    "compliance.sampling_planned": lambda p, e, c: _(
        "One of your listings was picked for a test purchase."
    ),
    "compliance.sampling_units_pulled": _units_pulled,
    "compliance.sampling_sent_to_lab": lambda p, e, c: _(
        "Test purchase: the units taken from your listing were sent to a lab."
    ),
    "compliance.sampling_result_recorded": _result_recorded,
    "compliance.sampling_cancelled": lambda p, e, c: _("A test purchase was cancelled."),
}
