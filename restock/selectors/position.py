"""Where a listing's stock stands, for a whole range of listings in a few queries (the planner
reads 2,000 listings at a time): what is available, what is on its way, what is asked for and
not yet shipped, and how many more units the stocking cap allows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, F, IntegerField, OuterRef, Subquery, Sum, When
from django.db.models.functions import Coalesce

from catalogue.models import ListingReturnRate
from catalogue.services.caps import stocking_cap
from logistics.models import InboundLine, InboundShipment, StockingOrder, StockPosition
from logistics.services.stock import serving
from suppliers.models import Standing

IS = InboundShipment.Status

# On the way: left the supplier, not yet stock. Units become available stock when their lot
# passes inspection (logistics.services.inbound.inspection.line_inspect), so a counted line of
# a shipment being received is still inbound until it is inspected.
IN_TRANSIT = (IS.IN_TRANSIT, IS.ARRIVED, IS.RECEIVING, IS.RECEIVED)


@dataclass(frozen=True)
class Position:
    available: int = 0
    inbound: int = 0
    open_orders: int = 0


def positions(first_id: int, last_id: int) -> dict[int, Position]:
    """Per listing id in [first_id, last_id] with any stock, inbound or open order:

    - available: the unreserved units of its stock positions that can serve an order
      (`logistics.services.stock.serving(None)`: every position, the platform's hubs and a
      market's return centre's restocked returns alike, as the catalogue counts stock);
    - inbound: the units of its lines on inbound shipments that have left and are not yet
      stock (counted sound units once counted, the declared ones before), lots inspected
      excluded (they are stock, or rejected);
    - open_orders: the units of its open stocking orders (issued or accepted: not shipped).

    Three queries, whatever the range."""
    in_range = {"listing_id__gte": first_id, "listing_id__lte": last_id}
    available = dict(
        StockPosition.objects.filter(serving(None), **in_range)
        .values("listing_id")
        .annotate(n=Sum("available"))
        .values_list("listing_id", "n")
        .order_by()
    )
    inbound = dict(
        InboundLine.objects.filter(
            shipment__status__in=IN_TRANSIT, inspection__isnull=True, **in_range
        )
        .values("listing_id")
        .annotate(
            n=Sum(
                Case(
                    When(received__isnull=False, then=F("received") - F("damaged")),
                    default=F("declared"),
                    output_field=IntegerField(),
                )
            )
        )
        .values_list("listing_id", "n")
        .order_by()
    )
    ordered = open_order_units(first_id, last_id)
    found: dict[int, Position] = {}
    for listing_id in set(available) | set(inbound) | set(ordered):
        found[listing_id] = Position(
            available=int(available.get(listing_id) or 0),
            inbound=int(inbound.get(listing_id) or 0),
            open_orders=int(ordered.get(listing_id) or 0),
        )
    return found


def open_order_units(first_id: int, last_id: int) -> dict[int, int]:
    """The units of each listing's open stocking orders (issued or accepted)."""
    return {
        listing_id: int(n or 0)
        for listing_id, n in StockingOrder.objects.filter(
            status__in=StockingOrder.OPEN, listing_id__gte=first_id, listing_id__lte=last_id
        )
        .values("listing_id")
        .annotate(n=Coalesce(Sum("quantity"), 0))
        .values_list("listing_id", "n")
        .order_by()
    }


def stocking_caps(
    listings: Iterable[tuple[int, bool, int]], standings: Mapping[int, str]
) -> dict[int, int | None]:
    """The catalogue's stocking cap of each listing (id, first batch passed, supplier id), the
    same rule as `logistics.services.inbound.stocking.listing_stocking_cap`:
    catalogue.services.caps.stocking_cap over its supplier's standing (`standings`, from
    suppliers.selectors.standings_of) and the listing's latest ListingReturnRate row, read for
    all of them in one query. None: uncapped."""
    triples = list(listings)
    ids = [listing_id for listing_id, _passed, _supplier in triples]
    newest = ListingReturnRate.objects.filter(listing_id=OuterRef("listing_id")).order_by("-day")
    latest: dict[int, tuple[int, Decimal | None]] = {
        listing_id: (sold, rate)
        for listing_id, sold, rate in ListingReturnRate.objects.filter(
            listing_id__in=ids, day=Subquery(newest.values("day")[:1])
        ).values_list("listing_id", "units_sold", "rate")
    }
    caps: dict[int, int | None] = {}
    for listing_id, passed, supplier_id in triples:
        sold, rate = latest.get(listing_id, (0, None))
        caps[listing_id] = stocking_cap(
            first_batch_passed=passed,
            return_rate=rate,
            units_sold=int(sold),
            standing=standings.get(supplier_id, Standing.NEW.value),
        )
    return caps
