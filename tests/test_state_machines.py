"""The state machines (marketplace/states.py): each table pinned to the SPEC, pair by pair, and
the helper's contract tried on every (state, target) pair of every machine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from catalogue.models import (
    LISTING_MACHINE,
    PRICE_ROUND_MACHINE,
    TENDER_MACHINE,
    PriceRound,
    Tender,
)
from logistics.models import (
    INBOUND_SHIPMENT_MACHINE,
    OVERSTOCK_OFFER_MACHINE,
    STOCKING_ORDER_MACHINE,
    InboundShipment,
    OverstockOffer,
    StockingOrder,
    StockLot,
    StockPosition,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.event_kinds import EVENT_KINDS
from marketplace.models import Event
from marketplace.states import Machine, transition
from orders.models import (
    CONSUMER_ORDER_MACHINE,
    JIT_ORDER_MACHINE,
    PENALTY_MACHINE,
    ConsumerOrder,
    Penalty,
)
from orders.services.reversals import STANDING
from returns.models import (
    BREACH_APPEAL_MACHINE,
    CHARGEBACK_MACHINE,
    RETURN_MACHINE,
    ReturnRateBreach,
)
from shipping.models import AIR_FREIGHT_BATCH_MACHINE, AirFreightBatch
from suppliers.models import SUPPLIER_MACHINE, WITHDRAWAL_MACHINE, WithdrawalRequest
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.logistics import WarehouseFactory
from tests.factories.orders import jit_order
from tests.factories.shipping import LastMilePartnerFactory
from tests.factories.suppliers import SupplierFactory

# --- Each table is the SPEC ---------------------------------------------------------------------


def test_suppliers_move_as_the_spec_says():
    # SPEC.md:24 "applied → onboarding → active ⇄ suspended → terminated"; an application may
    # be rejected (applied or onboarding → terminated), and any supplier may be terminated.
    assert SUPPLIER_MACHINE.pairs() == {
        ("applied", "onboarding"),
        ("applied", "terminated"),
        ("onboarding", "active"),
        ("onboarding", "terminated"),
        ("active", "suspended"),
        ("active", "terminated"),
        ("suspended", "active"),
        ("suspended", "terminated"),
    }


def test_listings_move_as_the_spec_says():
    # SPEC.md:52 "draft → submitted → price_review → compliance_review → approved → live ⇄
    # paused → delisted"; a rejected or withdrawn price sends a listing under review back to
    # draft (SPEC.md:56, price review); published without stock it starts paused (SPEC.md:53);
    # delisted is an operator's decision at any point (SPEC.md:54).
    assert LISTING_MACHINE.pairs() == {
        ("draft", "submitted"),
        ("draft", "delisted"),
        ("submitted", "price_review"),
        ("submitted", "draft"),
        ("submitted", "delisted"),
        ("price_review", "compliance_review"),
        ("price_review", "draft"),
        ("price_review", "delisted"),
        ("compliance_review", "approved"),
        ("compliance_review", "draft"),
        ("compliance_review", "delisted"),
        ("approved", "live"),
        ("approved", "paused"),
        ("approved", "delisted"),
        ("live", "paused"),
        ("live", "delisted"),
        ("paused", "live"),
        ("paused", "delisted"),
    }


def test_price_rounds_move_as_the_spec_says():
    # SPEC.md:56 "the supplier proposes a supply price … An operator accepts, counters or
    # rejects"; SPEC.md:58 "The supplier accepts a counter or withdraws" (a proposal not yet
    # answered may be withdrawn too, and an operator may still reject after countering);
    # SPEC.md:59 "Every round is kept": an answered round never moves again.
    assert PRICE_ROUND_MACHINE.pairs() == {
        ("proposed", "countered"),
        ("proposed", "accepted"),
        ("proposed", "rejected"),
        ("proposed", "withdrawn"),
        ("countered", "accepted"),
        ("countered", "rejected"),
        ("countered", "withdrawn"),
    }
    # A tender's award withdraws the listing's open round, set-based: only an open one.
    assert PRICE_ROUND_MACHINE.sources("withdrawn") == set(PriceRound.OPEN)
    # The kinds are the listing's price events, as webhooks have always received them.
    assert {
        target: PRICE_ROUND_MACHINE.event_kind(target) for _, target in PRICE_ROUND_MACHINE.pairs()
    } == {
        "countered": "listing.price_countered",
        "accepted": "listing.price_agreed",
        "rejected": "listing.price_rejected",
        "withdrawn": "listing.price_withdrawn",
    }


def test_tenders_move_as_the_spec_says():
    # SPEC.md:66 "At closing (a Celery job) the lowest price among qualified bids wins";
    # SPEC.md:71 "A tender with no qualified bid closes unawarded". Nothing cancels a tender.
    assert TENDER_MACHINE.pairs() == {
        ("open", "awarded"),
        ("open", "unawarded"),
    }
    assert TENDER_MACHINE.event_kind("awarded") == TENDER_MACHINE.event_kind("unawarded")


def test_jit_orders_move_as_the_spec_says():
    # SPEC.md:85 "awaiting_shipment → shipped → received → accepted or → rejected_quality;
    # awaiting_shipment → failed_stockout (declared, or 72 hours unshipped); cancelled (before
    # shipment)". SPEC.md:108 (late evidence): an order failed for 72 h unshipped may still be
    # recorded as shipped.
    assert JIT_ORDER_MACHINE.pairs() == {
        ("awaiting_shipment", "shipped"),
        ("awaiting_shipment", "failed_stockout"),
        ("awaiting_shipment", "cancelled"),
        ("shipped", "received"),
        ("received", "accepted"),
        ("received", "rejected_quality"),
        ("failed_stockout", "shipped"),
    }
    # The sweep's 72 h stockouts, set-based: only unshipped orders fail.
    assert JIT_ORDER_MACHINE.sources("failed_stockout") == {"awaiting_shipment"}


def test_penalties_move_as_the_spec_says():
    # SPEC.md:105 "a supplier may appeal a penalty …; an operator upholds or waives it".
    # SPEC.md:108 (late evidence): the penalties of the tiers a first scan escapes are reversed,
    # while they still stand.
    assert PENALTY_MACHINE.pairs() == {
        ("assessed", "appealed"),
        ("appealed", "upheld"),
        ("appealed", "waived"),
        ("assessed", "reversed"),
        ("appealed", "reversed"),
        ("upheld", "reversed"),
    }
    # The late evidence reverses exactly the penalties the table lets it.
    assert PENALTY_MACHINE.sources("reversed") == set(STANDING)


def test_withdrawals_move_as_the_spec_says():
    # SPEC.md "Suppliers and money": a withdrawal is requested by the owner and decided by
    # finance, once: approved (paid out as a withdrawal entry) or rejected with a reason.
    assert WITHDRAWAL_MACHINE.pairs() == {
        ("requested", "approved"),
        ("requested", "rejected"),
    }


def test_stocking_orders_move_as_the_spec_says():
    # SPEC.md:119 "Stocking orders (platform → supplier …): the supplier answers with an inbound
    # shipment"; the README's "Stocking orders": it accepts or declines, the order lapses
    # unshipped at its expiry, and it is shipped when its first shipment leaves.
    assert STOCKING_ORDER_MACHINE.pairs() == {
        ("issued", "accepted"),
        ("issued", "declined"),
        ("issued", "lapsed"),
        ("issued", "cancelled"),
        ("accepted", "shipped"),
        ("accepted", "lapsed"),
        ("accepted", "cancelled"),
    }
    assert STOCKING_ORDER_MACHINE.sources("lapsed") == set(StockingOrder.OPEN)


def test_inbound_shipments_move_as_the_spec_says():
    # SPEC.md:119 "an inbound shipment (advance notice: lines, carrier, waybill, or a circular
    # pickup) … Receiving counts what arrived … inspection samples each lot"; the README's
    # states "draft → booked → in_transit → arrived → receiving → received → closed, or
    # cancelled" (until it leaves).
    assert INBOUND_SHIPMENT_MACHINE.pairs() == {
        ("draft", "booked"),
        ("draft", "cancelled"),
        ("booked", "in_transit"),
        ("booked", "cancelled"),
        ("in_transit", "arrived"),
        ("arrived", "receiving"),
        ("receiving", "received"),
        ("received", "closed"),
    }


def test_consumer_orders_move_as_the_spec_says():
    # SPEC.md:124 "Ownership passes to the platform only when a consumer's order is fulfilled
    # from it"; the reservation (SPEC.md:127) is released when the order is cancelled first.
    assert CONSUMER_ORDER_MACHINE.pairs() == {
        ("reserved", "fulfilled"),
        ("reserved", "cancelled"),
    }


def test_overstock_offers_move_as_the_spec_says():
    # SPEC.md:130 "stock unsold for 90 days is offered back to the supplier, at its freight":
    # it takes it back, or leaves it for a markdown an operator then records.
    assert OVERSTOCK_OFFER_MACHINE.pairs() == {
        ("offered", "returned"),
        ("offered", "left_for_markdown"),
        ("left_for_markdown", "marked_down"),
    }


def test_returns_move_as_the_spec_says():
    # SPEC.md:141 and issue 13: "requested → open → closed, or declined (with a reason) or
    # cancelled"; the storefront cancels until the goods are received (open included).
    assert RETURN_MACHINE.pairs() == {
        ("requested", "open"),
        ("requested", "declined"),
        ("requested", "cancelled"),
        ("open", "closed"),
        ("open", "cancelled"),
    }
    assert {RETURN_MACHINE.event_kind(t) for _, t in RETURN_MACHINE.pairs()} == {
        "return.opened",
        "return.declined",
        "return.cancelled",
        "return.closed",
    }


def test_chargebacks_move_as_the_spec_says():
    # SPEC.md:143 "charged back to the supplier ... appealable within 7 days": an appeal is
    # upheld (the chargeback reversed) or dismissed.
    assert CHARGEBACK_MACHINE.pairs() == {
        ("standing", "appealed"),
        ("appealed", "upheld"),
        ("appealed", "dismissed"),
    }


def test_return_rate_fines_are_appealed_as_the_spec_says():
    # SPEC "Listings": the return-rate decisions are "recorded and appealable": the supplier
    # appeals a breach's fine, an operator upholds (the fine reversed) or dismisses the appeal.
    assert BREACH_APPEAL_MACHINE.pairs() == {
        ("", "pending"),
        ("pending", "upheld"),
        ("pending", "dismissed"),
    }


def test_a_table_must_name_every_state_of_its_model():
    with pytest.raises(ValueError, match=r"missing \['cancelled', 'fulfilled'\], unknown \[\]"):
        Machine(ConsumerOrder, {"reserved": {"fulfilled"}}, event="consumer_order.{to}")
    with pytest.raises(ValueError, match=r"missing \[\], unknown \['shipped'\]"):
        Machine(
            ConsumerOrder,
            {"reserved": {"shipped"}, "fulfilled": set(), "cancelled": set()},
            event="consumer_order.{to}",
        )


def test_kinds_named_one_by_one_must_cover_every_state_reached():
    with pytest.raises(ValueError, match="event kind for each state it reaches"):
        Machine(
            ConsumerOrder,
            {"reserved": {"fulfilled", "cancelled"}, "fulfilled": set(), "cancelled": set()},
            event={"fulfilled": "consumer_order.fulfilled"},
        )


def test_a_refusal_is_worded_in_the_readers_language():
    with translation.override("zh-hans"):
        refused = INBOUND_SHIPMENT_MACHINE.refuse("arrived", "received")
    assert refused.message == "该入库单的状态不能从“已到仓”变更为“已收货”。"


# --- The helper, on every pair of every machine ----------------------------------------------


def _stocking_order(status: str = "accepted") -> StockingOrder:
    listing = ListingFactory()
    now = timezone.now()
    return StockingOrder.objects.create(
        supplier_id=listing.supplier_id,
        listing=listing,
        warehouse=WarehouseFactory(),
        quantity=10,
        issued_at=now,
        expires_at=now,
        status=status,
    )


def _shipment(status: str) -> InboundShipment:
    order = _stocking_order()
    return InboundShipment.objects.create(
        supplier_id=order.supplier_id,
        stocking_order=order,
        warehouse=order.warehouse,
        status=status,
    )


def _penalty(status: str) -> Penalty:
    order = jit_order(ListingFactory())
    return Penalty.objects.create(
        order=order,
        supplier_id=order.supplier_id,
        tier=Penalty.Tier.LATE_24H,
        multiple=Decimal("1.00"),
        amount=order.goods_value,
        rule_version="test",
        status=status,
    )


def _consumer_order(status: str) -> ConsumerOrder:
    listing = ListingFactory()
    return ConsumerOrder.objects.create(
        listing=listing,
        supplier_id=listing.supplier_id,
        warehouse=WarehouseFactory(),
        external_id="SF-1",
        market="US",
        quantity=1,
        unit_supply_price=Decimal("20.00"),
        status=status,
    )


def _offer(status: str) -> OverstockOffer:
    listing = ListingFactory()
    position = StockPosition.objects.create(
        listing=listing, warehouse=WarehouseFactory(), supplier_id=listing.supplier_id
    )
    lot = StockLot.objects.create(
        position=position, received_at=timezone.now(), quantity=5, remaining=5
    )
    return OverstockOffer.objects.create(
        lot=lot, supplier_id=listing.supplier_id, quantity=5, status=status
    )


def _price_round(status: str) -> PriceRound:
    listing = ListingFactory()
    return PriceRound.objects.create(
        listing=listing,
        number=1,
        proposed_price=Decimal("20.00"),
        counter_price=Decimal("18.00") if status != "proposed" else None,
        proposed_by=UserFactory(),
        status=status,
    )


def _tender(status: str) -> Tender:
    return Tender.objects.create(
        product=ProductFactory(),
        quantity=100,
        closes_at=timezone.now(),
        opened_by=UserFactory(is_staff=True),
        status=status,
    )


def _withdrawal(status: str) -> WithdrawalRequest:
    supplier = SupplierFactory()
    return WithdrawalRequest.objects.create(
        supplier=supplier,
        amount=Decimal("10.00"),
        bank_account="ICBC 6222",
        requested_by=UserFactory(),
        status=status,
    )


def _breach(appeal: str) -> ReturnRateBreach:
    listing = ListingFactory()
    now = timezone.now()
    return ReturnRateBreach.objects.create(
        listing=listing,
        supplier_id=listing.supplier_id,
        level=ReturnRateBreach.Level.PAUSE,
        window_start=now,
        window_end=now,
        units_sold=20,
        units_returned=4,
        rate=Decimal("0.2"),
        appeal=appeal,
    )


def _batch(status: str) -> AirFreightBatch:
    return AirFreightBatch.objects.create(
        master_air_waybill=f"176-{AirFreightBatch.objects.count() + 12345670:08d}",
        flight_number="CA987",
        origin_hub=WarehouseFactory(),
        market="US",
        last_mile=LastMilePartnerFactory(),
        planned_departure=timezone.now(),
        status=status,
    )


def test_air_freight_batches_move_as_the_spec_says():
    # SPEC.md "Outbound parcels": parcels fly by air freight to the market, then a last-mile
    # partner: a batch is opened, departs from its hub, arrives in its market.
    assert AIR_FREIGHT_BATCH_MACHINE.pairs() == {("open", "departed"), ("departed", "arrived")}


MACHINES = {
    "air freight batch": (AIR_FREIGHT_BATCH_MACHINE, _batch),
    "withdrawal request": (WITHDRAWAL_MACHINE, _withdrawal),
    "return-rate breach": (BREACH_APPEAL_MACHINE, _breach),
    "supplier": (SUPPLIER_MACHINE, lambda status: SupplierFactory(status=status)),
    "listing": (LISTING_MACHINE, lambda status: ListingFactory(status=status)),
    "stocking order": (STOCKING_ORDER_MACHINE, _stocking_order),
    "inbound shipment": (INBOUND_SHIPMENT_MACHINE, _shipment),
    "JIT order": (JIT_ORDER_MACHINE, lambda status: jit_order(ListingFactory(), status=status)),
    "penalty": (PENALTY_MACHINE, _penalty),
    "consumer order": (CONSUMER_ORDER_MACHINE, _consumer_order),
    "overstock offer": (OVERSTOCK_OFFER_MACHINE, _offer),
    "price round": (PRICE_ROUND_MACHINE, _price_round),
    "tender": (TENDER_MACHINE, _tender),
}
EVERY_PAIR = [
    (name, current, target)
    for name, (machine, _build) in MACHINES.items()
    for current in machine.moves
    for target in machine.moves
]


def _row(obj):
    return type(obj).objects.filter(pk=obj.pk).values().get()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "current", "target"), EVERY_PAIR)
def test_the_helper_moves_by_the_table_and_nothing_else(name, current, target):
    machine, build = MACHINES[name]
    obj = build(current)
    actor = UserFactory()
    before, events = _row(obj), set(Event.objects.values_list("pk", flat=True))

    if current == target:
        transition(obj, machine, target, actor=actor)
        assert _row(obj) == before
        assert set(Event.objects.values_list("pk", flat=True)) == events
    elif machine.allows(current, target):
        moved = transition(obj, machine, target, actor=actor, reason="because")
        assert _row(obj)[machine.field] == target == getattr(obj, machine.field)
        assert moved.pk == obj.pk
        if machine.stamped:
            assert _row(obj)[machine.stamped] != before[machine.stamped]
        [event] = Event.objects.exclude(pk__in=events)
        assert event.kind == machine.event_kind(target)
        assert event.kind in EVENT_KINDS
        assert event.payload == {"from": current, "to": target}
        assert (event.actor, event.reason, event.subject_id) == (actor, "because", str(obj.pk))
        assert event.supplier_id == machine.supplier_of(obj)
    else:
        with pytest.raises(DomainError) as refused:
            transition(obj, machine, target, actor=actor)
        assert (refused.value.code, refused.value.kind) == (
            "invalid_transition",
            ErrorKind.CONFLICT,
        )
        assert refused.value.message == (
            f"This {name} cannot move from {machine.label(current)} to {machine.label(target)}."
        )
        assert _row(obj) == before
        assert set(Event.objects.values_list("pk", flat=True)) == events


@pytest.mark.django_db
def test_a_refusing_check_writes_nothing_and_then_runs_inside_the_move():
    order = jit_order(ListingFactory())
    before = _row(order)

    def refuse(locked):
        raise DomainError("not_now", "Not now.")

    with pytest.raises(DomainError, match="Not now"):
        transition(order, JIT_ORDER_MACHINE, "cancelled", actor=None, check=refuse)
    assert _row(order) == before
    assert not Event.objects.exists()

    seen = []
    transition(
        order,
        JIT_ORDER_MACHINE,
        "cancelled",
        actor=None,
        changes={"cancelled_at": timezone.now()},
        then=lambda locked, was: seen.append((was.status, locked.status, was.cancelled_at)),
        payload={"note": "x"},
    )
    assert seen == [("awaiting_shipment", "cancelled", None)]
    assert order.cancelled_at is not None
    assert Event.objects.get().payload == {
        "from": "awaiting_shipment",
        "to": "cancelled",
        "note": "x",
    }
