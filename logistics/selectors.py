"""Reads that carry a rule: which stocking orders, shipments, stock and payables a caller may see,
and the stock page's figures.

The portal, the API and the admin fetch through these, so a supplier never reaches another
supplier's rows: a 404, or absent from a list. Staff see what their role's view permission allows;
integrators see none of it (consignment stock is between the platform and the supplier), except
the storefront's own consumer orders (orders.selectors).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from marketplace.formatting import suppliers_today
from suppliers.models import Factory
from suppliers.selectors import supplier_id_for

from .models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    StockingOrder,
    StockLot,
    StockPosition,
)

AGE_BUCKETS = [(0, 30), (31, 60), (61, 90), (91, None)]


def pickup_cluster_of(supplier_id: int) -> PickupCluster | None:
    """The served cluster one of the supplier's factories is in, if any."""
    names = [
        n.strip().lower()
        for n in Factory.objects.filter(supplier_id=supplier_id).values_list(
            "industrial_cluster", flat=True
        )
        if n.strip()
    ]
    for cluster in PickupCluster.objects.filter(is_active=True):
        if cluster.name.lower() in names:
            return cluster
    return None


def _visible(user: User, queryset: QuerySet[Any], perm: str) -> QuerySet[Any]:
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm(perm):
        return queryset
    return queryset.none()


def stocking_orders_visible_to(user: User) -> QuerySet[StockingOrder]:
    return _visible(
        user,
        StockingOrder.objects.select_related("listing__product", "warehouse"),
        "logistics.view_stockingorder",
    )


def shipments_visible_to(user: User) -> QuerySet[InboundShipment]:
    return _visible(
        user,
        InboundShipment.objects.select_related("warehouse", "pickup_slot__cluster"),
        "logistics.view_inboundshipment",
    )


def overstock_offers_visible_to(user: User) -> QuerySet[OverstockOffer]:
    return _visible(
        user,
        OverstockOffer.objects.select_related("lot__position__listing__product"),
        "logistics.view_overstockoffer",
    )


def stock_positions_visible_to(user: User) -> QuerySet[StockPosition]:
    """Positions with the age of their oldest unsold unit (`oldest_received_at`), one query per
    page: the sums are maintained on the rows, the age is a subquery over the unsold lots: the
    first by receipt, one probe of the `lot_unsold_position` index (rather than an aggregate
    over all of them, which a deep page pays for every row it skips)."""
    oldest = StockLot.objects.filter(position=OuterRef("pk"), remaining__gt=0).order_by(
        "received_at"
    )[:1]
    queryset = StockPosition.objects.select_related("listing__product", "warehouse").annotate(
        oldest_received_at=Subquery(oldest.values("received_at"))
    )
    return _visible(user, queryset, "logistics.view_stockposition")


def stock_ageing(supplier_id: int, *, now: datetime | None = None) -> list[dict[str, int | None]]:
    """Units still in stock by age bucket (days since receipt): 0-30, 31-60, 61-90, over 90."""
    now = now or timezone.now()
    lots = StockLot.objects.filter(position__supplier_id=supplier_id, remaining__gt=0)
    buckets = []
    for low, high in AGE_BUCKETS:
        in_bucket = lots.filter(received_at__lte=now - timedelta(days=low))
        if high is not None:
            in_bucket = in_bucket.filter(received_at__gt=now - timedelta(days=high + 1))
        units = sum(in_bucket.values_list("remaining", flat=True))
        buckets.append({"low": low, "high": high, "units": int(units)})
    return buckets


def pickup_today() -> date:
    """The day pickup runs are dated by: China's (where the clusters are), whoever asks and
    whatever zone the request runs in (an operator's own zone, UTC in a job)."""
    return suppliers_today()


def pickup_slots_visible_to(user: User) -> QuerySet[PickupSlot]:
    """A supplier user sees the upcoming runs of the cluster its factories are in (none when no
    factory is in a served cluster); staff who may view pickup slots see every run."""
    slots = PickupSlot.objects.select_related("cluster", "warehouse")
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        cluster = pickup_cluster_of(supplier_id)
        if cluster is None:
            return slots.none()
        return slots.filter(cluster=cluster, date__gte=pickup_today())
    if not hasattr(user, "api_client") and user.has_perm("logistics.view_pickupslot"):
        return slots
    return slots.none()


def lot_record(supplier_id: int, *, days: int = 30, now: datetime | None = None) -> dict[str, int]:
    """Lots inspected and rejected over the last `days` (original inspections only): the
    warehouse quality rejection a supplier's scorecard counts."""
    since = (now or timezone.now()) - timedelta(days=days)
    found = Inspection.objects.filter(
        supplier_id=supplier_id, inspected_at__gte=since, resubmitted=False, lot_size__gt=0
    ).aggregate(
        inspected=Count("pk"),
        rejected=Count("pk", filter=Q(result=Inspection.Result.REJECTED)),
    )
    return {"days": days, "inspected": found["inspected"], "rejected": found["rejected"]}
