"""`seed_demo` builds the consignment-inventory demo through the services, and a second run adds
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from logistics.models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    StockingOrder,
    StockMovement,
    StockPosition,
    Warehouse,
)
from orders.models import ConsumerOrder, Payable
from suppliers.models import Factory

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models = [
        Warehouse,
        PickupCluster,
        PickupSlot,
        StockingOrder,
        InboundShipment,
        Inspection,
        StockPosition,
        StockMovement,
        ConsumerOrder,
        Payable,
        OverstockOffer,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def seeded(monkeypatch, tmp_path) -> dict[str, int]:
    monkeypatch.setenv("DEMO_DATA", "true")
    target = str(tmp_path / "demo_credentials.json")
    call_command("seed_demo", credentials_file=target, verbosity=0)
    first = counts()
    call_command("seed_demo", credentials_file=target, verbosity=0)
    assert counts() == first  # idempotent
    return first


def test_the_demo_has_the_warehouses_and_a_pickup_cluster_of_a_demo_factory(seeded):
    kinds = dict(Warehouse.objects.values_list("name", "kind"))
    assert kinds[settings.JIT_WAREHOUSE] == Warehouse.Kind.HUB
    assert kinds["Guangzhou hub"] == Warehouse.Kind.HUB
    assert Warehouse.Kind.OVERSEAS in kinds.values()
    assert Warehouse.Kind.RETURN_CENTRE in kinds.values()
    clusters = {c.lower() for c in Factory.objects.values_list("industrial_cluster", flat=True)}
    cluster = PickupCluster.objects.get()
    assert cluster.name.lower() in clusters
    assert PickupSlot.objects.filter(cluster=cluster).exists()


def test_the_demo_has_stocking_orders_in_every_state_and_shipments_in_several(seeded):
    states = set(StockingOrder.objects.values_list("status", flat=True))
    assert states == set(StockingOrder.Status.values)
    shipments = set(InboundShipment.objects.values_list("status", flat=True))
    assert {"draft", "booked", "in_transit", "arrived", "receiving", "closed"} <= shipments
    assert InboundShipment.objects.filter(pickup_slot__isnull=False).exists()


def test_the_demo_has_a_rejected_lot_stock_in_two_warehouses_and_sales(seeded):
    assert Inspection.objects.filter(result=Inspection.Result.REJECTED).count() == 1
    stocked = StockPosition.objects.filter(on_hand__gt=0).values("warehouse").distinct()
    assert stocked.count() >= 2
    sales = ConsumerOrder.objects.filter(status=ConsumerOrder.Status.FULFILLED)
    # The orders demo's three (shipping/demo.py adds its parcels' orders).
    fulfilled = sales.filter(external_id__startswith="DEMO-SHOP-")
    assert fulfilled.count() == 3
    assert Payable.objects.filter(order__in=fulfilled).count() == 3
    sold = StockPosition.objects.aggregate(n=Sum("sold"))["n"]
    consignment = sales.filter(warehouse__isnull=False)
    assert sold == sum(consignment.values_list("quantity", flat=True))


def test_the_demo_has_100_day_old_stock_offered_back(seeded):
    offer = OverstockOffer.objects.select_related("lot").get()
    age = timezone.now() - offer.lot.received_at
    assert timedelta(days=99) < age < timedelta(days=101)
    assert offer.quantity == offer.lot.remaining > 0
    assert offer.status == OverstockOffer.Status.LEFT_FOR_MARKDOWN
