"""What each event is about: its subject loaded for a page of events at once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from catalogue.models import Listing, PriceRound, Tender
from compliance.models import ListingMarketStatus
from logistics.models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    SamplingState,
    StockingOrder,
)
from marketplace.models import Event
from orders.models import ConsumerOrder, JitOrder, Penalty
from restock.models import RestockProposal
from returns.models import ReturnRateBreach
from shipping.models import Parcel

from ..wording import (
    EntryText,
)


def choice_label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


# --- What each event is about ------------------------------------------------------------------

# The record an event names as its subject, loaded with what its sentence needs (one query per
# kind of record on the page).
SUBJECT_RELATED: dict[type[models.Model], tuple[str, ...]] = {
    JitOrder: ("listing__product",),
    Penalty: ("order",),
    Listing: ("product",),
    PriceRound: ("listing__product",),
    Tender: ("product",),
    StockingOrder: ("listing__product", "warehouse"),
    InboundShipment: ("warehouse", "pickup_slot"),
    Inspection: ("product",),
    SamplingState: ("product",),
    ConsumerOrder: ("listing__product", "warehouse"),
    OverstockOffer: ("lot__position__listing__product", "lot__position__warehouse"),
    ListingMarketStatus: ("listing__product",),
    Parcel: ("listing__product",),
    ReturnRateBreach: ("listing__product",),
    RestockProposal: ("listing__product",),
}


@dataclass
class Context:
    """What a sentence may draw on besides the event: its subject, and the words of the ledger
    entries on the page."""

    subject: Any
    entries: Mapping[int, EntryText]


def load_subjects(events: list[Event]) -> dict[tuple[int, str], Any]:
    wanted: dict[int, set[str]] = defaultdict(set)
    for event in events:
        if event.subject_type_id and event.subject_id:
            wanted[event.subject_type_id].add(event.subject_id)
    found: dict[tuple[int, str], Any] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        keys = [int(pk) for pk in ids if pk.isdigit()]
        rows = model._default_manager.filter(pk__in=keys)
        related = SUBJECT_RELATED.get(model)
        if related:
            rows = rows.select_related(*related)
        for row in rows:
            found[(type_id, str(row.pk))] = row
    return found
