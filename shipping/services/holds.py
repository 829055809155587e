"""The compliance gate on parcels (SPEC, "Outbound parcels"; issue 13): a parcel is judged when
it is made and again before it leaves (the seller's shipment, the batch's departure). Where the
compliance answer refuses shipping its listing to its market, the parcel goes to the hold queue
with the answer's reasons as data (`held_at`, `hold_reasons`, event `parcel.held`), never
silently; the beat job `parcels_recheck_holds` releases it when the answer allows it again
(`parcel.released`). Set-based: one compliance read for any number of parcels."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing
from compliance.selectors.answer import SHIP, Answer, compliance_answers, reason_data
from marketplace.events import NewEvent, record_events

from ..models import Parcel

# Parcels re-judged per transaction by the beat job.
RECHECK_BATCH = 500


def parcels_answers(parcels: Sequence[Parcel], *, at: datetime | None = None) -> dict[int, Answer]:
    """The compliance answer for each parcel's listing in its market, by parcel id (a fixed
    handful of queries whatever the number of parcels)."""
    if not parcels:
        return {}
    listings = Listing.objects.filter(pk__in={p.listing_id for p in parcels})
    answers = compliance_answers(listings, {p.market for p in parcels}, at=at)
    return {
        p.pk: answers[(p.listing_id, p.market)]
        for p in parcels
        if (p.listing_id, p.market) in answers
    }


def ship_reasons(answer: Answer) -> list[dict[str, object]]:
    """What blocks shipping, as data (code, standard, date, fields; the message as read)."""
    return [
        reason_data(reason, answer.market) for reason in answer.reasons if SHIP in reason.blocks
    ]


def parcels_hold(
    parcels: Sequence[Parcel], answers: dict[int, Answer], *, actor: User | None
) -> list[Parcel]:
    """Hold the parcels whose answer refuses shipping; returns those held. A parcel already in
    the queue keeps its time and gets the answer's current reasons (no second event)."""
    now = timezone.now()
    refused = [p for p in parcels if p.pk in answers and not answers[p.pk].may_ship]
    if not refused:
        return []
    events = []
    for parcel in refused:
        if parcel.held_at is None:
            parcel.held_at = now
            events.append(parcel)
        parcel.hold_reasons = ship_reasons(answers[parcel.pk])
    with transaction.atomic():
        Parcel.objects.bulk_update(refused, ["held_at", "hold_reasons"])
        record_events(
            NewEvent(
                "parcel.held",
                actor=actor,
                subject=parcel,
                payload={
                    "market": parcel.market,
                    "reasons": [r["code"] for r in parcel.hold_reasons],
                },
                supplier_id=parcel.supplier_id,
            )
            for parcel in events
        )
    return refused


def parcels_release(parcels: Sequence[Parcel], *, actor: User | None) -> list[Parcel]:
    """Out of the hold queue (the answer allows shipping again)."""
    released = [p for p in parcels if p.held_at is not None]
    if not released:
        return []
    for parcel in released:
        parcel.held_at = None
        parcel.hold_reasons = []
    with transaction.atomic():
        Parcel.objects.bulk_update(released, ["held_at", "hold_reasons"])
        record_events(
            NewEvent(
                "parcel.released",
                actor=actor,
                subject=parcel,
                payload={"market": parcel.market},
                supplier_id=parcel.supplier_id,
            )
            for parcel in released
        )
    return released


def parcels_gate(parcels: Sequence[Parcel], *, actor: User | None) -> list[Parcel]:
    """Judge the parcels now: hold the refused, release the held ones now allowed. Returns the
    parcels held."""
    answers = parcels_answers(parcels)
    held = parcels_hold(parcels, answers, actor=actor)
    allowed = [p for p in parcels if p.pk in answers and answers[p.pk].may_ship]
    parcels_release(allowed, actor=actor)
    return held


def parcels_recheck_holds() -> int:
    """The beat job: judge every held parcel that has not left again, releasing those the answer
    now allows (locked a batch at a time, skipping rows another worker holds, so two runs
    never release a parcel twice). Returns how many were released."""
    released = 0
    last = 0
    while True:
        with transaction.atomic():
            batch = list(
                Parcel.objects.select_for_update(skip_locked=True)
                .filter(held_at__isnull=False, pk__gt=last)
                .order_by("pk")[:RECHECK_BATCH]
            )
            if not batch:
                return released
            last = batch[-1].pk
            answers = parcels_answers(batch)
            allowed = [p for p in batch if p.pk in answers and answers[p.pk].may_ship]
            released += len(parcels_release(allowed, actor=None))
            # Those still refused keep their place in the queue, with today's reasons.
            parcels_hold(batch, answers, actor=None)
