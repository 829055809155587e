"""The reasons kept with a listing's answer per market (ListingMarketStatus.reasons, and the
`compliance.lapsed` event's payload) read back as the answer's sentences, in the reader's
language."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .answer import Reason, render_reason


def reason_from_data(row: Mapping[str, Any]) -> Reason:
    on = row.get("on")
    return Reason(
        code=str(row.get("code", "")),
        standard=row.get("standard") or None,
        on=date.fromisoformat(on) if isinstance(on, str) and on else None,
        fields=tuple(row.get("fields") or ()),
    )


def reason_texts(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each kept reason as every door shows it (`render_reason`), in the active language."""
    return [render_reason(reason_from_data(row)) for row in rows if isinstance(row, Mapping)]
