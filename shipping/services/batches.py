"""Air freight batches (SPEC, "Outbound parcels"): the platform's parcels for one market flown
from a hub under one master air waybill and handed to the market's last-mile partner.

    open → departed → arrived

An operator opens a batch, adds the eligible parcels (the platform's, for the batch's market,
not left yet, not held, in no other batch), and records its departure: every parcel is judged
by the compliance gate again, a refused one leaves the batch for the hold queue, the rest get a
`departed_origin` tracking event at the departure time (`parcel.shipped`). Its arrival records
`arrived_destination` for the parcels on board."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from logistics.models import Warehouse
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import NewEvent, record_events
from marketplace.markets import Market
from marketplace.states import transition

from ..models import AIR_FREIGHT_BATCH_MACHINE, AirFreightBatch, LastMilePartner, Milestone, Parcel
from ..selectors.parcels import batch_eligible
from .customs import parcels_decide
from .holds import parcels_answers, parcels_hold
from .tracking import TrackingInput, tracking_record

Status = AirFreightBatch.Status
# IATA: a 3-digit airline prefix and an 8-digit serial.
MASTER_AIR_WAYBILL = re.compile(r"^(\d{3})[- ]?(\d{8})$")
# An airline's 2-character code and 1 to 4 digits (a letter may follow).
FLIGHT = re.compile(r"^[A-Z0-9]{2}\d{1,4}[A-Z]?$")


def _invalid(code: str, message: str, field: str, detail: str) -> DomainError:
    return DomainError(code, message, fields={field: [detail]}, kind=ErrorKind.INVALID)


def normalise_waybill(value: str) -> str:
    match = MASTER_AIR_WAYBILL.match(value.strip())
    if match is None:
        raise _invalid(
            "invalid_master_air_waybill",
            _("A master air waybill is a 3-digit airline prefix and 8 digits (e.g. 176-12345675)."),
            "master_air_waybill",
            _("3 digits, a dash, 8 digits."),
        )
    return f"{match.group(1)}-{match.group(2)}"


def batch_create(
    *,
    master_air_waybill: str,
    flight_number: str,
    origin_hub: Warehouse,
    market: str,
    last_mile: LastMilePartner,
    planned_departure: datetime,
    actor: User | None,
) -> AirFreightBatch:
    """Open a batch for one market, from a platform hub, for that market's active last-mile
    partner."""
    waybill = normalise_waybill(master_air_waybill)
    flight = flight_number.replace(" ", "").upper()
    if not FLIGHT.match(flight):
        raise _invalid(
            "invalid_flight",
            _("A flight is the airline's 2-character code and 1 to 4 digits (e.g. CA987)."),
            "flight_number",
            _("Like CA987."),
        )
    if market not in Market.values:
        raise _invalid("unknown_market", _("Unknown market."), "market", _("Unknown."))
    if origin_hub.kind != Warehouse.Kind.HUB or not origin_hub.is_active:
        raise _invalid(
            "not_a_hub",
            _("Batches fly from an active platform hub in China."),
            "origin_hub",
            _("Not an active platform hub."),
        )
    if last_mile.market != market or not last_mile.is_active:
        raise _invalid(
            "last_mile_not_in_market",
            _("The last-mile partner must be active in the batch's market."),
            "last_mile",
            _("Not active in %(market)s.") % {"market": market},
        )
    if timezone.is_naive(planned_departure):
        raise _invalid(
            "naive_time", _("Give the time with its zone."), "planned_departure", _("No zone.")
        )
    try:
        with transaction.atomic():
            return AirFreightBatch.objects.create(
                master_air_waybill=waybill,
                flight_number=flight,
                origin_hub=origin_hub,
                market=market,
                last_mile=last_mile,
                planned_departure=planned_departure,
                created_by=actor,
            )
    except IntegrityError:
        raise DomainError(
            "duplicate_master_air_waybill",
            _("Master air waybill %(awb)s is already another batch's.") % {"awb": waybill},
            fields={"master_air_waybill": [_("Already used.")]},
        ) from None


def _not_future(at: datetime, field: str) -> None:
    """A departure or arrival is recorded once it happened (tracking refuses future events)."""
    if timezone.is_naive(at):
        raise _invalid("naive_time", _("Give the time with its zone."), field, _("No zone."))
    if at > timezone.now() + timedelta(seconds=settings.SCAN_CLOCK_SKEW_SECONDS):
        raise _invalid(
            "in_the_future",
            _("Record it once it happened."),
            field,
            _("This time is in the future."),
        )


def _track(events: list[TrackingInput], actor: User | None) -> None:
    """The batch's events, through the tracking service, a batch of its size at a time."""
    size = settings.TRACKING_BATCH_MAX
    for start in range(0, len(events), size):
        tracking_record(events[start : start + size], actor=actor)


def _locked(batch: AirFreightBatch, *allowed: str) -> AirFreightBatch:
    locked = AirFreightBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in allowed:
        raise DomainError(
            "invalid_transition",
            _("The batch is %(status)s.") % {"status": locked.get_status_display()},
        )
    return locked


def batch_add_parcels(
    batch: AirFreightBatch, parcels: QuerySet[Parcel], *, actor: User | None
) -> int:
    """Put the eligible parcels of `parcels` on the open batch (they take its last-mile
    partner); the others are left as they are. Returns how many joined."""
    with transaction.atomic():
        locked = _locked(batch, Status.OPEN)
        rows = list(
            batch_eligible(parcels, locked)
            .select_related(None)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        partner = locked.last_mile
        for parcel in rows:
            parcel.batch = locked
            parcel.last_mile = partner
            parcel.channel = partner.channel
        Parcel.objects.bulk_update(rows, ["batch", "last_mile", "channel"])
    return len(rows)


def batch_remove_parcels(
    batch: AirFreightBatch, parcels: Iterable[Parcel], *, actor: User | None
) -> int:
    """Take parcels off a batch that has not left."""
    with transaction.atomic():
        locked = _locked(batch, Status.OPEN)
        return Parcel.objects.filter(
            batch=locked, pk__in=[p.pk for p in parcels], status=Parcel.Status.CREATED
        ).update(batch=None)


def batch_depart(
    batch: AirFreightBatch, *, actor: User | None, departed_at: datetime | None = None
) -> AirFreightBatch:
    """The batch leaves the hub: every parcel is judged again, the refused ones leave the batch
    for the hold queue, the others depart (a `departed_origin` event at the departure time,
    `parcel.shipped`). Recorded once: a departed batch is returned as it is."""
    at = departed_at or timezone.now()
    _not_future(at, "departed_at")
    with transaction.atomic():
        current = AirFreightBatch.objects.select_for_update().get(pk=batch.pk)
        if current.status != Status.OPEN:
            return current
        parcels = list(Parcel.objects.select_for_update().filter(batch=current).order_by("pk"))
        if not parcels:
            raise DomainError(
                "batch_empty",
                _("The batch has no parcels."),
                fields={"parcels": [_("Add parcels first.")]},
            )
        held = parcels_hold(parcels, parcels_answers(parcels), actor=actor)
        if held:
            Parcel.objects.filter(pk__in=[p.pk for p in held]).update(batch=None)
        leaving = [p for p in parcels if p not in held]
        if not leaving:
            # Every parcel went to the hold queue (that stands): the batch stays open.
            return current

        def fly(locked: AirFreightBatch, before: AirFreightBatch) -> None:
            _track(
                [
                    TrackingInput(
                        tracking_number=p.tracking_number,
                        external_id=f"batch-{locked.pk}-departed",
                        code=Milestone.DEPARTED_ORIGIN,
                        occurred_at=at,
                        location=locked.origin_hub.name,
                        note=locked.flight_number,
                    )
                    for p in leaving
                ],
                actor=actor,
            )
            parcels_decide([p.pk for p in leaving])  # on their ship date: the departure's
            record_events(
                NewEvent(
                    "parcel.shipped",
                    actor=actor,
                    subject=parcel,
                    payload={
                        "carrier": locked.last_mile.name,
                        "tracking_number": parcel.tracking_number,
                        "batch": locked.pk,
                    },
                    supplier_id=parcel.supplier_id,
                )
                for parcel in leaving
            )

        return transition(
            current,
            AIR_FREIGHT_BATCH_MACHINE,
            Status.DEPARTED,
            actor=actor,
            changes={"departed_at": at},
            then=fly,
            payload={"parcels": len(leaving), "held": len(held)},
        )


def batch_arrive(
    batch: AirFreightBatch, *, actor: User | None, arrived_at: datetime | None = None
) -> AirFreightBatch:
    """The batch landed in its market: its parcels arrive in destination."""
    at = arrived_at or timezone.now()
    _not_future(at, "arrived_at")

    def after_departure(locked: AirFreightBatch) -> None:
        if locked.departed_at and at < locked.departed_at:
            raise _invalid(
                "arrived_before_departure",
                _("The batch cannot arrive before it left."),
                "arrived_at",
                _("Before the departure."),
            )

    def land(locked: AirFreightBatch, before: AirFreightBatch) -> None:
        numbers = list(
            locked.parcels.exclude(tracking_number="").values_list("tracking_number", flat=True)
        )
        _track(
            [
                TrackingInput(
                    tracking_number=number,
                    external_id=f"batch-{locked.pk}-arrived",
                    code=Milestone.ARRIVED_DESTINATION,
                    occurred_at=at,
                )
                for number in numbers
            ],
            actor=actor,
        )

    return transition(
        batch,
        AIR_FREIGHT_BATCH_MACHINE,
        Status.ARRIVED,
        actor=actor,
        check=after_departure,
        changes={"arrived_at": at},
        then=land,
    )
