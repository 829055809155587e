"""The stock ledger: append-only movements, and the positions (per listing and warehouse) that
are their sums, updated in the same transaction under the position's row lock.

Every change goes through `_move`: lock the position, check the result stays within bounds
(available never below zero, never above on hand), insert the movement, update the position.
Two consumer orders for the last unit serialise on the lock; the second sees nothing available
and is refused. After the commit, the catalogue's auto pause/resume sees the listing's new
available total whenever a change can matter to it: when a position empties or refills (a
change that leaves a position above zero leaves the listing's total above zero too).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing
from catalogue.services.listings import listing_stock_changed
from marketplace.errors import DomainError, ErrorKind

from ..models import StockLot, StockMovement, StockPosition, Warehouse

Kind = StockMovement.Kind


def position_for_update(listing: Listing, warehouse: Warehouse) -> StockPosition:
    """The position row of a listing in a warehouse, made if missing, locked."""
    StockPosition.objects.get_or_create(
        listing=listing, warehouse=warehouse, defaults={"supplier_id": listing.supplier_id}
    )
    return StockPosition.objects.select_for_update().get(listing=listing, warehouse=warehouse)


def _move(
    position: StockPosition,
    kind: str,
    *,
    on_hand: int,
    available: int,
    reference: str = "",
    actor: User | None = None,
    owner_is_supplier: bool = True,
) -> StockMovement:
    """One movement on a position the caller has locked."""
    if position.available + available < 0:
        raise DomainError(
            "out_of_stock",
            _("Only %(n)d available.") % {"n": position.available},
            fields={"quantity": [_("Only %(n)d available.") % {"n": position.available}]},
        )
    if (
        position.on_hand + on_hand < 0
        or position.available + available > position.on_hand + on_hand
    ):
        raise DomainError("stock_mismatch", _("That many units are not in this warehouse."))
    movement = StockMovement.objects.create(
        position=position,
        kind=kind,
        owner_id=position.supplier_id if owner_is_supplier else None,
        on_hand=on_hand,
        available=available,
        reference=reference,
        actor=actor,
    )
    sold = -on_hand if kind == Kind.SALE else 0
    StockPosition.objects.filter(pk=position.pk).update(
        on_hand=F("on_hand") + on_hand,
        available=F("available") + available,
        sold=F("sold") + sold,
        updated_at=timezone.now(),
    )
    was_available = position.available > 0
    position.on_hand += on_hand
    position.available += available
    position.sold += sold
    if was_available != (position.available > 0):
        # Only a position emptying or refilling can move the listing's total across zero,
        # which is all the catalogue's pause/resume rule looks at.
        _after_commit_stock_rule(position.listing_id)
    return movement


def _after_commit_stock_rule(listing_id: int) -> None:
    """Once the change is committed, pause or resume the listing by its available total."""

    def run() -> None:
        # The listing and its available total in one round trip.
        total = (
            StockPosition.objects.filter(listing_id=OuterRef("pk"))
            .order_by()
            .values("listing_id")
            .annotate(n=Sum("available"))
            .values("n")
        )
        listing = Listing.objects.annotate(stock_available=Coalesce(Subquery(total), 0)).get(
            pk=listing_id
        )
        listing_stock_changed(listing, listing.stock_available)

    transaction.on_commit(run)


def serving(market: str | None) -> Q:
    """The positions whose warehouse can serve an order of `market`: the platform's hubs in
    China ship everywhere, a market's own warehouses (its return centre's restocked returns)
    serve only that market. None: every position."""
    if market is None:
        return Q()
    return Q(warehouse__market="") | Q(warehouse__market=market)


def listing_available(listing_id: int, market: str | None = None) -> int:
    """The listing's available units (those that can serve `market`, when given)."""
    total = StockPosition.objects.filter(serving(market), listing_id=listing_id).aggregate(
        n=Sum("available")
    )["n"]
    return int(total or 0)


def _take_fifo(position: StockPosition, quantity: int) -> None:
    """Units leave from the oldest lots first (what stock ageing reads)."""
    left = quantity
    for lot in (
        StockLot.objects.select_for_update()
        .filter(position=position, remaining__gt=0)
        .order_by("received_at", "pk")
    ):
        take = min(left, lot.remaining)
        StockLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        left -= take
        if left == 0:
            return


def stock_receive(
    position: StockPosition, quantity: int, *, reference: str, actor: User | None
) -> StockMovement:
    """Accepted units into the warehouse: on hand and available both rise."""
    return _move(
        position,
        Kind.RECEIPT,
        on_hand=quantity,
        available=quantity,
        reference=reference,
        actor=actor,
    )


class _Short(Exception):
    """A candidate position found short under its lock (rolls its savepoint back)."""


def stock_reserve(
    listing: Listing,
    quantity: int,
    *,
    reference: str,
    actor: User | None,
    market: str | None = None,
) -> StockPosition:
    """Reserve `quantity` units of a listing in the warehouse holding the most available; refuse
    (409 `out_of_stock`) when no warehouse has that many. Returns the locked position. For an
    order of a `market`, only the warehouses that can serve it: the platform's hubs in China,
    which ship everywhere, and that market's own (its return centre's restocked returns).

    Each candidate is locked inside a savepoint, and a candidate found short under its lock is
    rolled back to it, which gives its row lock back: an order never holds one warehouse's row
    while it waits for another's. (Without that, two orders that ranked the warehouses in
    different orders -- each read the figures at a different moment -- could each hold the
    row the other waits for: a deadlock, seen in tests/logistics/test_stock_concurrency.py.)"""
    with transaction.atomic():
        positions = StockPosition.objects.filter(
            serving(market), listing=listing, available__gte=quantity
        )
        candidates = list(positions.order_by("-available", "pk").values_list("pk", flat=True))
        for pk in candidates:
            try:
                with transaction.atomic():
                    # Re-checked under the lock: another order may have taken the units.
                    position = StockPosition.objects.select_for_update().get(pk=pk)
                    if position.available < quantity:
                        raise _Short
                    _move(
                        position,
                        Kind.RESERVATION,
                        on_hand=0,
                        available=-quantity,
                        reference=reference,
                        actor=actor,
                    )
                    return position
            except _Short:
                continue
        available = listing_available(listing.pk, market)
        raise DomainError(
            "out_of_stock",
            _("Only %(n)d available.") % {"n": available},
            fields={"quantity": [_("Only %(n)d available.") % {"n": available}]},
        )


def stock_release(
    position: StockPosition, quantity: int, *, reference: str, actor: User | None
) -> StockMovement:
    """A reservation given back (a cancelled order)."""
    return _move(
        position, Kind.RELEASE, on_hand=0, available=quantity, reference=reference, actor=actor
    )


def stock_sell(
    position: StockPosition, quantity: int, *, reference: str, actor: User | None
) -> StockMovement:
    """A reservation fulfilled: the units leave, and ownership passes to the platform."""
    movement = _move(
        position,
        Kind.SALE,
        on_hand=-quantity,
        available=0,
        reference=reference,
        actor=actor,
        owner_is_supplier=False,
    )
    _take_fifo(position, quantity)
    return movement


def stock_return(
    listing: Listing, warehouse: Warehouse, quantity: int, *, reference: str, actor: User | None
) -> StockMovement:
    """Sound units a consumer sent back, restocked at a return centre: on hand and available
    both rise. They belong to the platform, which bought them at the sale, so the movement's
    owner is the platform (blank) and no lot is made: a lot is the supplier's consignment stock,
    which ages and may be handed back to it (overstock), and these units are not."""
    if quantity < 1:
        raise DomainError(
            "invalid_quantity",
            _("Restock at least one unit."),
            fields={"quantity": [_("At least 1.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        position = position_for_update(listing, warehouse)
        return _move(
            position,
            Kind.RETURN,
            on_hand=quantity,
            available=quantity,
            reference=reference,
            actor=actor,
            owner_is_supplier=False,
        )


def stock_remove(
    position: StockPosition,
    quantity: int,
    kind: str,
    *,
    reference: str,
    actor: User | None,
    lot: StockLot | None = None,
) -> StockMovement:
    """Available units leave the warehouse: a write-off, a sample pulled for a test purchase or
    a return to the supplier. They come
    out of `lot` when given (an overstock lot handed back; the caller locked the position, then
    the lot), else from the oldest lots first."""
    if kind not in (Kind.WRITE_OFF, Kind.SAMPLE, Kind.RETURN_TO_SUPPLIER):
        raise ValueError(kind)
    if lot is not None and quantity > lot.remaining:
        raise DomainError("stock_mismatch", _("That many units are not in this lot."))
    movement = _move(
        position, kind, on_hand=-quantity, available=-quantity, reference=reference, actor=actor
    )
    if lot is None:
        _take_fifo(position, quantity)
    else:
        StockLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - quantity)
        lot.remaining -= quantity
    return movement


def stock_write_off(
    position: StockPosition, quantity: int, *, reason: str, actor: User
) -> StockMovement:
    """An operator writes off available units found damaged or lost in the warehouse, saying
    why; the units leave the oldest lots first. Reserved units cannot be written off."""
    if quantity < 1:
        raise DomainError(
            "invalid_quantity",
            _("Write off at least one unit."),
            fields={"quantity": [_("At least 1.")]},
            kind=ErrorKind.INVALID,
        )
    if not reason.strip():
        raise DomainError(
            "reason_required",
            _("Say why."),
            fields={"reason": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        locked = StockPosition.objects.select_for_update().get(pk=position.pk)
        return stock_remove(
            locked,
            quantity,
            Kind.WRITE_OFF,
            reference=f"write-off: {reason.strip()}"[:60],
            actor=actor,
        )
