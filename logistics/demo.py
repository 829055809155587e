"""Demo consignment inventory for `seed_demo`: the platform's warehouses (the JIT warehouse, a
Guangzhou hub, an overseas warehouse, a return centre), a pickup cluster matching a demo
factory's industrial cluster with a slot, stocking orders in every state, inbound shipments in
several states, one rejected lot, stock in two warehouses, and one listing with 100-day-old
stock offered back to its supplier. The sales from that stock are orders' (orders/demo.py).

Built through the services, so events, the ledger and the listings' pause/resume look real.
Only the 100-day-old lot is backdated (lots are not append-only; movements are). Idempotent: the
warehouses are found or made, and nothing else is added once the demo supplier has stocking
orders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing
from suppliers.models import Supplier

from .models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    StockingOrder,
    StockLot,
    Warehouse,
)
from .services.inbound import inspection, notices, pickups, receiving, shipments, stocking
from .services.overstock import offer_overstock, overstock_leave

IS = InboundShipment.Status
HUB = "gz-hub"
BRIGHT = "91440300MA5F00001"  # the demo toy maker (suppliers.demo), in the Chenghai cluster
OVERSTOCK_AGE = timedelta(days=100)

# (code, name, Chinese name, kind, market, address)
WAREHOUSES = [
    (
        "zq-jit",
        settings.JIT_WAREHOUSE,
        "肇庆 JIT 仓",
        Warehouse.Kind.HUB,
        "",
        "8 Duanzhou Logistics Park, Zhaoqing, Guangdong",
    ),
    (
        HUB,
        "Guangzhou hub",
        "广州中心仓",
        Warehouse.Kind.HUB,
        "",
        "88 Airport Road, Baiyun, Guangzhou",
    ),
    (
        "us-ont",
        "Ontario CA overseas warehouse",
        "美国安大略海外仓",
        Warehouse.Kind.OVERSEAS,
        "US",
        "4200 E Airport Dr, Ontario, CA 91761, USA",
    ),
    (
        "uk-returns",
        "Felixstowe return centre",
        "英国费利克斯托退货中心",
        Warehouse.Kind.RETURN_CENTRE,
        "UK",
        "Dock Road, Felixstowe IP11 3QW, UK",
    ),
]


def seed_warehouses() -> dict[str, Warehouse]:
    found = {}
    for code, name, name_zh, kind, market, address in WAREHOUSES:
        warehouse = Warehouse.objects.filter(name=name).first()
        if warehouse is None:
            warehouse = Warehouse.objects.create(
                code=code, name=name, name_zh=name_zh, kind=kind, market=market, address=address
            )
        elif not warehouse.name_zh:
            warehouse.name_zh = name_zh
            warehouse.save(update_fields=["name_zh"])
        found[code] = warehouse
    return found


def seed_logistics(*, operator: User) -> None:
    with transaction.atomic():
        warehouses = seed_warehouses()
        bright = Supplier.objects.get(credit_code__startswith=BRIGHT)
        cluster_name = bright.factories.values_list("industrial_cluster", flat=True).first()
        cluster, _ = PickupCluster.objects.get_or_create(
            name=cluster_name or "Chenghai toys", defaults={"province": "Guangdong"}
        )
        if StockingOrder.objects.filter(supplier=bright).exists():
            return
        slot = PickupSlot.objects.create(
            cluster=cluster,
            date=timezone.localdate() + timedelta(days=3),
            window="09:00-12:00",
            warehouse=warehouses[HUB],
        )
        _Demo(operator, bright, warehouses, slot).run()


class _Demo:
    def __init__(
        self,
        operator: User,
        supplier: Supplier,
        warehouses: dict[str, Warehouse],
        slot: PickupSlot,
    ) -> None:
        self.operator = operator
        self.owner = supplier.memberships.select_related("user").get(role="owner").user
        self.hub = warehouses[HUB]
        self.jit = warehouses["zq-jit"]
        self.slot = slot
        listings = Listing.objects.filter(supplier=supplier, mode=Listing.Mode.FULLY_MANAGED)
        self.tiles = listings.get(is_jit=True)  # live, sold through JIT without stock too
        # Paused until it has stock (catalogue.demo).
        self.panda = listings.get(is_jit=False, product__title_en__startswith="Plush panda")
        self.waybills = 0

    def order(
        self,
        listing: Listing,
        units: int,
        *,
        warehouse: Warehouse | None = None,
        urgent: bool = False,
        now: datetime | None = None,
    ) -> StockingOrder:
        return stocking.stocking_order_issue(
            listing,
            quantity=units,
            warehouse=warehouse or self.hub,
            actor=self.operator,
            urgent=urgent,
            now=now,
        )

    def shipment(self, order: StockingOrder, *, pickup: bool = False) -> InboundShipment:
        stocking.stocking_order_accept(order, actor=self.owner)
        if pickup:
            return notices.inbound_create(order, actor=self.owner, pickup=True)
        self.waybills += 1
        return notices.inbound_create(
            order,
            actor=self.owner,
            carrier="SF Express",
            waybill=f"SF{order.pk:06d}{self.waybills:04d}",
        )

    def move(self, shipment: InboundShipment, *targets: str) -> InboundShipment:
        for target in targets:
            shipment = shipments.inbound_transition(shipment, target, actor=self.operator)
        return shipment

    def receive(
        self, shipment: InboundShipment, *, received: int, damaged: int = 0, reject: bool = False
    ) -> Inspection:
        """Count the shipment's line and inspect it: no defectives, or the plan's reject number
        (a rejected lot)."""
        line = shipment.lines.get()
        receiving.line_count(line, received=received, damaged=damaged, actor=self.operator)
        plan = inspection.inspection_plan(line).plan
        defects = min(plan.reject, plan.sample_size) if reject else 0
        notes = "Paint flaking on the seams; stuffing exposed." if reject else ""
        return inspection.line_inspect(line, defects=defects, actor=self.operator, notes=notes)

    def run(self) -> None:
        tiles, panda = self.tiles, self.panda

        # Tiles' first batch (new listings are capped until it passes) into the Guangzhou hub,
        # then a second into the JIT warehouse with a short, damaged count: stock in two places.
        first = self.move(self.shipment(self.order(tiles, 30)), IS.BOOKED, IS.IN_TRANSIT)
        first = self.move(first, IS.ARRIVED)
        self.receive(first, received=30)
        self.move(first, IS.RECEIVED, IS.CLOSED)
        second = self.shipment(self.order(tiles, 40, warehouse=self.jit))
        second = self.move(second, IS.BOOKED, IS.IN_TRANSIT, IS.ARRIVED)
        self.receive(second, received=39, damaged=1)
        self.move(second, IS.RECEIVED)

        # Panda: a circular pickup whose lot is rejected (still being received), then an
        # accepted batch whose units are left unsold for 100 days.
        pickup = self.shipment(self.order(panda, 20), pickup=True)
        pickup = pickups.pickup_assign(pickup, self.slot, actor=self.operator)
        pickup = self.move(pickup, IS.IN_TRANSIT, IS.ARRIVED)
        self.receive(pickup, received=20, damaged=1, reject=True)
        old = self.move(self.shipment(self.order(panda, 24)), IS.BOOKED, IS.IN_TRANSIT)
        old = self.move(old, IS.ARRIVED)
        old_inspection = self.receive(old, received=24)
        self.move(old, IS.RECEIVED, IS.CLOSED)

        # Shipments on their way: arrived (to count), in transit, booked (after a cancelled
        # notice), and a pickup request waiting for a slot.
        self.move(self.shipment(self.order(tiles, 12)), IS.BOOKED, IS.IN_TRANSIT, IS.ARRIVED)
        self.move(self.shipment(self.order(tiles, 18)), IS.BOOKED, IS.IN_TRANSIT)
        booked = self.order(tiles, 60)
        wrong = self.shipment(booked)
        shipments.inbound_transition(
            wrong, IS.CANCELLED, actor=self.operator, reason="Booked with the wrong carrier."
        )
        self.waybills += 1
        rebooked = notices.inbound_create(
            booked, actor=self.owner, carrier="JD Logistics", waybill=f"JD{booked.pk:08d}"
        )
        self.move(rebooked, IS.BOOKED)
        self.shipment(self.order(panda, 6), pickup=True)

        # The other stocking-order states: issued (urgent), declined, lapsed, cancelled.
        self.order(tiles, 25, urgent=True)
        stocking.stocking_order_decline(
            self.order(panda, 10),
            actor=self.owner,
            reason="Production line busy with an export order until next month.",
        )
        self.order(tiles, 15, now=timezone.now() - timedelta(days=20))
        stocking.lapse_stocking_orders()
        stocking.stocking_order_transition(
            self.order(tiles, 10),
            StockingOrder.Status.CANCELLED,
            actor=self.operator,
            reason="Issued twice by mistake.",
        )

        # 100-day-old stock, offered back by the daily job; the supplier leaves it for a
        # markdown an operator decides.
        StockLot.objects.filter(inspection=old_inspection).update(
            received_at=timezone.now() - OVERSTOCK_AGE
        )
        offer_overstock()
        for offer in OverstockOffer.objects.filter(lot__inspection=old_inspection):
            overstock_leave(offer, actor=self.owner)
