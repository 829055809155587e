"""Demo orders: JIT orders that cross the reminder and penalty deadlines within minutes of
seeding, and consumer orders sold from the demo's consignment stock (logistics/demo.py).

`make run` starts beat, which runs the deadline sweep every minute: a newcomer then watches the
18 h and 23 h reminders go out and the 24 h and 48 h penalties come off Shenzhen Bright Toys'
deposit (portal notifications, ledger, admin) without editing the database.

Each run of seed_demo tops the set up rather than adding to it blindly: a deadline gets a new
order only when no demo order is still waiting to cross it within the next few minutes. Running
it twice in a row adds nothing; running it again after the orders have crossed (the next `make
run`) adds a fresh set, ordered relative to that run's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.models import User
from catalogue.models import Listing
from logistics.demo import BRIGHT
from suppliers.models import Supplier

from .models import ConsumerOrder, JitOrder
from .rules import rules
from .services.consumer import consumer_order_cancel, consumer_order_create, consumer_order_fulfil
from .services.orders import jit_order_create

PREFIX = "DEMO-JIT-"
SHOP_PREFIX = "DEMO-SHOP-"
# The n-th deadline below is crossed 1.5 + n minutes after seeding (the last at 4.5): the
# sweep, every minute, acts on them one after the other, the last within five minutes.
FIRST_CROSSING = timedelta(seconds=90)
STAGGER = timedelta(minutes=1)


def deadlines() -> list[tuple[str, timedelta]]:
    """(label, age at which the sweep acts): both reminders, late past 24 h, late past 48 h."""
    r = rules()
    first, second = r.reminders
    return [
        ("reminder-1", first),
        ("reminder-2", second),
        ("late-24h", r.ship_within),
        ("late-48h", r.late_after),
    ]


def seed_jit_orders(*, actor: User, now: datetime | None = None) -> list[JitOrder]:
    """Orders on the live JIT listing, each about to reach one deadline; returns those made."""
    now = now or timezone.now()
    listing = (
        Listing.objects.filter(is_jit=True, status=Listing.Status.LIVE)
        .select_related("supplier")
        .order_by("pk")
        .first()
    )
    # Many runs days apart end in many penalties; once they take the deposit below the JIT
    # minimum the supplier takes no JIT orders, and the demo goes on without new ones.
    if listing is None or listing.supplier.jit_status != Supplier.JitStatus.ENROLLED:
        return []
    waiting = JitOrder.objects.filter(
        external_id__startswith=PREFIX, status=JitOrder.Status.AWAITING_SHIPMENT
    )
    made = []
    for n, (label, age) in enumerate(deadlines()):
        crossing = now + FIRST_CROSSING + n * STAGGER
        # Already one crossing this deadline soon (from a run moments ago): leave it.
        if waiting.filter(ordered_at__gt=now - age, ordered_at__lte=crossing - age).exists():
            continue
        made.append(
            jit_order_create(
                listing_id=listing.pk,
                quantity=1,
                external_id=f"{PREFIX}{label}-{crossing:%Y%m%d%H%M%S}",
                actor=actor,
                ordered_at=crossing - age,
            )
        )
    return made


def seed_consumer_orders(*, operator: User) -> list[ConsumerOrder]:
    """Sales from the consignment stock of Bright's JIT tiles: three fulfilled (payables
    recorded), one reserved, one cancelled. Once only: nothing is added when they exist."""
    if ConsumerOrder.objects.filter(external_id__startswith=SHOP_PREFIX).exists():
        return []
    tiles = Listing.objects.get(
        supplier__credit_code__startswith=BRIGHT, mode=Listing.Mode.FULLY_MANAGED, is_jit=True
    )
    made = []
    for n, (units, outcome) in enumerate(
        [(2, "fulfil"), (1, "fulfil"), (3, "fulfil"), (2, "reserve"), (1, "cancel")], 1
    ):
        order = consumer_order_create(
            listing_id=tiles.pk,
            quantity=units,
            external_id=f"{SHOP_PREFIX}{n:04d}",
            market="US",
            actor=operator,
        )
        assert isinstance(order, ConsumerOrder)  # stock is available: no JIT fallback
        if outcome == "fulfil":
            consumer_order_fulfil(order, actor=operator)
        elif outcome == "cancel":
            consumer_order_cancel(order, actor=operator)
        made.append(order)
    return made
