"""Reverse auctions (SPEC, "Reverse auction (tender)").

Bids are sealed: only its supplier reads a bid before closing, operators read amounts after
closing, no other supplier ever does (events carry no amounts, since webhooks leave the house).

`tenders_close_due` (a Celery job every minute) closes each due tender exactly once: it locks
due tenders with skip-locked, and the status moves from open inside that lock, so two runs at the
same moment split the work instead of doubling it.

Ranking: among qualified bids the lowest unit price wins; ties go to the better scorecard, then
to the earlier bid. A quality-adjusted tender ranks by price / quality factor instead, where the
factor runs linearly from 0.8 (score 0, or no scorecard) to 1.0 (score 100), so a slightly dearer
but far more reliable factory can win; the award records the arithmetic.

Standing (SPEC, "Scorecard"): a supplier whose latest scorecard stands very poor cannot bid
(`standing_very_poor`), and a bid placed before its standing fell is not qualified at closing.
A supplier with no scorecard is new: it bids, and ranks with the factor's floor (0.8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from compliance.selectors.records import suppliers_with_passing_test
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import NewEvent, record_event, record_events
from marketplace.formatting import when
from marketplace.states import transition
from suppliers.models import Scorecard, Standing, Supplier
from suppliers.selectors import standing_of, supplier_for

from ..models import PRICE_ROUND_MACHINE, TENDER_MACHINE, Bid, Listing, PriceRound, Product, Tender
from ..selectors import tenders_due
from .listings import S

CENT = Decimal("0.01")
FACTOR_FLOOR = Decimal("0.8")
FACTOR_SPAN = Decimal("0.2")


def tender_open(
    product: Product,
    *,
    quantity: int,
    closes_at: datetime,
    actor: User,
    min_score: Decimal | None = None,
    max_return_rate: Decimal | None = None,
    required_test: str = "",
    quality_adjusted: bool = False,
) -> Tender:
    if not actor.is_staff:
        raise DomainError(
            "operators_only", _("Only operators open tenders."), kind=ErrorKind.FORBIDDEN
        )
    if closes_at <= timezone.now():
        raise DomainError(
            "closes_in_past",
            _("The closing time must be in the future."),
            fields={"closes_at": [_("In the future.")]},
            kind=ErrorKind.INVALID,
        )
    if quantity < 1:
        raise DomainError(
            "invalid_quantity",
            _("Ask for at least one unit."),
            fields={"quantity": [_("At least 1.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        tender = Tender.objects.create(
            product=product,
            quantity=quantity,
            closes_at=closes_at,
            opened_by=actor,
            min_score=min_score,
            max_return_rate=max_return_rate,
            required_test=required_test.strip(),
            quality_adjusted=quality_adjusted,
        )
        record_event(
            "tender.opened",
            actor=actor,
            subject=tender,
            payload={
                "product": product.pk,
                "quantity": quantity,
                "closes_at": closes_at.isoformat(),
            },
        )
    return tender


def bid_place(
    tender: Tender,
    *,
    actor: User,
    unit_price: Decimal | str,
    lead_time_days: int,
    capacity: int,
) -> Bid:
    """Place or lower the actor's supplier's bid. A bid may be lowered, never raised."""
    supplier = supplier_for(actor)
    if supplier is None:
        raise DomainError("suppliers_only", _("Only suppliers bid."), kind=ErrorKind.FORBIDDEN)
    if supplier.status != Supplier.Status.ACTIVE:
        raise DomainError(
            "supplier_not_active", _("Only active suppliers bid."), kind=ErrorKind.FORBIDDEN
        )
    if standing_of(supplier.pk) == Standing.VERY_POOR:
        raise DomainError(
            "standing_very_poor",
            _(
                "Your scorecard's standing is very poor: a supplier in that standing cannot bid "
                "in tenders until its scorecard improves."
            ),
            kind=ErrorKind.FORBIDDEN,
        )
    try:
        price = Decimal(str(unit_price))
    except ArithmeticError:
        price = Decimal("NaN")
    if not price.is_finite() or price <= 0 or price != price.quantize(CENT):
        raise DomainError(
            "invalid_price",
            _("A unit price is a positive amount in CNY with two decimals."),
            fields={"unit_price": [_("Not a valid price.")]},
            kind=ErrorKind.INVALID,
        )
    if lead_time_days < 1 or capacity < 1:
        raise DomainError(
            "invalid_bid",
            _("Lead time and capacity are at least 1."),
            fields={
                name: [_("At least 1.")]
                for name, value in (("lead_time_days", lead_time_days), ("capacity", capacity))
                if value < 1
            },
            kind=ErrorKind.INVALID,
        )
    now = timezone.now()
    with transaction.atomic():
        # Locks out the closing job for this tender while the bid is written.
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        if locked.status != Tender.Status.OPEN or locked.closes_at <= now:
            raise DomainError("tender_closed", _("This tender is closed."))
        bid = Bid.objects.select_for_update().filter(tender=locked, supplier=supplier).first()
        if bid is None:
            bid = Bid.objects.create(
                tender=locked,
                supplier=supplier,
                unit_price=price,
                lead_time_days=lead_time_days,
                capacity=capacity,
                placed_by=actor,
                placed_at=now,
                updated_at=now,
            )
        else:
            if price > bid.unit_price:
                raise DomainError(
                    "bid_raised",
                    _("A bid may be lowered, never raised (yours is %(price)s CNY).")
                    % {"price": bid.unit_price},
                    fields={"unit_price": [_("At most %(price)s.") % {"price": bid.unit_price}]},
                    kind=ErrorKind.INVALID,
                )
            bid.unit_price, bid.lead_time_days, bid.capacity = price, lead_time_days, capacity
            bid.updated_at, bid.placed_by = now, actor
            bid.save(
                update_fields=[
                    "unit_price",
                    "lead_time_days",
                    "capacity",
                    "updated_at",
                    "placed_by",
                ]
            )
        # No amount in the event: events reach integrators' webhooks, and bids are sealed.
        record_event("tender.bid_placed", actor=actor, supplier=supplier, subject=locked)
    return bid


# --- Closing and the award ---------------------------------------------------------------


@dataclass
class Ranked:
    bid: Bid
    score: Decimal | None
    return_rate: Decimal | None
    reasons: list[str] = field(default_factory=list)
    factor: Decimal = Decimal("1")
    effective: Decimal = Decimal("0")

    @property
    def qualified(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "bid": self.bid.pk,
            "supplier": self.bid.supplier_id,
            "supplier_name": self.bid.supplier.name_en,
            "unit_price": str(self.bid.unit_price),
            "capacity": self.bid.capacity,
            "lead_time_days": self.bid.lead_time_days,
            "placed_at": self.bid.placed_at.isoformat(),
            "score": None if self.score is None else str(self.score),
            "factor": str(self.factor),
            "effective_price": str(self.effective),
            "qualified": self.qualified,
            "reasons": self.reasons,
        }


def quality_factor(score: Decimal | None) -> Decimal:
    """0.8 for no scorecard or a score of 0, rising linearly to 1.0 at 100."""
    if score is None:
        return FACTOR_FLOOR
    bounded = min(max(score, Decimal("0")), Decimal("100"))
    return (FACTOR_FLOOR + FACTOR_SPAN * bounded / 100).quantize(Decimal("0.0001"))


def _latest_scorecards(supplier_ids: list[int]) -> dict[int, Scorecard]:
    latest: dict[int, Scorecard] = {}
    # One scorecard a supplier a day: the latest day's.
    for card in Scorecard.objects.filter(supplier_id__in=supplier_ids).order_by(
        "supplier_id", "-day"
    ):
        latest.setdefault(card.supplier_id, card)
    return latest


def rank_bids(tender: Tender) -> list[Ranked]:
    bids = list(tender.bids.select_related("supplier"))
    cards = _latest_scorecards([b.supplier_id for b in bids])
    tested = (
        suppliers_with_passing_test(
            product_id=tender.product_id,
            standard=tender.required_test,
            supplier_ids=[b.supplier_id for b in bids],
        )
        if tender.required_test
        else set()
    )
    ranked = []
    for bid in bids:
        card = cards.get(bid.supplier_id)
        entry = Ranked(bid, card.score if card else None, card.return_rate if card else None)
        if bid.supplier.status != Supplier.Status.ACTIVE:
            entry.reasons.append("supplier not active")
        if card is not None and card.standing == Standing.VERY_POOR:
            entry.reasons.append("standing very poor")
        if bid.capacity < tender.quantity:
            entry.reasons.append(f"capacity {bid.capacity} below the quantity {tender.quantity}")
        if tender.min_score is not None and (entry.score is None or entry.score < tender.min_score):
            entry.reasons.append(f"scorecard {entry.score or 'none'} below {tender.min_score}")
        if tender.max_return_rate is not None and (
            entry.return_rate is None or entry.return_rate > tender.max_return_rate
        ):
            entry.reasons.append(
                f"return rate {entry.return_rate if entry.return_rate is not None else 'unknown'}"
                f" above {tender.max_return_rate}"
            )
        if tender.required_test and bid.supplier_id not in tested:
            entry.reasons.append(f"no passing, in-date {tender.required_test} test")
        entry.factor = quality_factor(entry.score) if tender.quality_adjusted else Decimal("1")
        entry.effective = (bid.unit_price / entry.factor).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        ranked.append(entry)
    # Lowest (effective) price; ties to the better scorecard (none counts as worst); then earlier.
    ranked.sort(
        key=lambda r: (
            not r.qualified,
            r.effective,
            -(r.score if r.score is not None else Decimal("-1")),
            r.bid.placed_at,
            r.bid.pk,
        )
    )
    return ranked


def _explain(tender: Tender, ranked: list[Ranked]) -> dict[str, Any]:
    rule = "quality_adjusted" if tender.quality_adjusted else "lowest_price"
    qualified = [r for r in ranked if r.qualified]
    explanation: dict[str, Any] = {
        "rule": rule,
        "factor": "0.8 + 0.2 x score / 100 (no scorecard: 0.8)"
        if tender.quality_adjusted
        else None,
        "required_test": tender.required_test or None,
        "bids": [r.as_dict() for r in ranked],
        "winner": None,
        "why": "",
    }
    if not qualified:
        explanation["why"] = "No bid qualified." if ranked else "No bids."
        return explanation
    winner = qualified[0]
    explanation["winner"] = winner.bid.pk
    measure = "price / quality factor" if tender.quality_adjusted else "unit price"
    figure = winner.effective if tender.quality_adjusted else winner.bid.unit_price
    why = f"Lowest {measure} among {len(qualified)} qualified bid(s): {figure} CNY."
    if len(qualified) > 1 and qualified[1].effective == winner.effective:
        if (winner.score or Decimal("-1")) != (qualified[1].score or Decimal("-1")):
            why += " Tied on price; won on the better scorecard."
        else:
            why += " Tied on price and scorecard; won as the earlier bid."
    explanation["why"] = why
    return explanation


def _award_listing(tender: Tender, bid: Bid) -> Listing:
    """The winner's listing of the tendered product, created or re-priced at the bid."""
    listing = (
        Listing.objects.select_for_update()
        .filter(
            supplier_id=bid.supplier_id,
            product_id=tender.product_id,
            mode=Listing.Mode.FULLY_MANAGED,
        )
        .first()
    )
    reason = _("Won tender #%(tender)s at %(price)s CNY.") % {
        "tender": tender.pk,
        "price": bid.unit_price,
    }
    if listing is None:
        listing = Listing.objects.create(
            supplier_id=bid.supplier_id,
            product_id=tender.product_id,
            mode=Listing.Mode.FULLY_MANAGED,
            status=S.COMPLIANCE_REVIEW,
            status_reason=reason,
            supply_price_cny=bid.unit_price,
        )
    else:
        listing.supply_price_cny = bid.unit_price
        listing.save(update_fields=["supply_price_cny"])
    # The tender's price is the agreed price: kept as a closed round beside the others.
    next_number = (
        listing.price_rounds.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    PriceRound.objects.filter(
        listing=listing, status__in=PRICE_ROUND_MACHINE.sources(PriceRound.Status.WITHDRAWN)
    ).update(status=PriceRound.Status.WITHDRAWN, closed_at=timezone.now())
    PriceRound.objects.create(
        listing=listing,
        number=next_number,
        proposed_price=bid.unit_price,
        status=PriceRound.Status.ACCEPTED,
        proposed_by=bid.placed_by,
        supplier_note=reason,
        closed_at=timezone.now(),
    )
    return listing


def tender_close(tender: Tender, *, actor: User | None = None) -> Tender:
    """Close one tender that is due, and award it. Never before its closing time: suppliers may
    bid or lower their bids until the time they were given (SPEC), so an early close is refused
    for every caller. Exactly once: the status is checked and moved on the locked row, and a
    tender already closed is returned as it is."""
    with transaction.atomic():
        locked = Tender.objects.select_for_update().get(pk=tender.pk)
        if locked.status != Tender.Status.OPEN:
            return locked
        if locked.closes_at > timezone.now():
            raise DomainError(
                "not_due",
                _("Not due until %(at)s.") % {"at": when(locked.closes_at)},
            )
        _close_locked(locked, actor)
    return locked


def _close_locked(tender: Tender, actor: User | None) -> None:
    """Close `tender`, locked by the caller before its bids were read (a bid placed meanwhile
    waits on that lock, then finds the tender closed)."""
    ranked = rank_bids(tender)
    explanation = _explain(tender, ranked)
    winner = next((r.bid for r in ranked if r.qualified), None)
    target = Tender.Status.AWARDED if winner else Tender.Status.UNAWARDED
    transition(
        tender,
        TENDER_MACHINE,
        target,
        actor=actor,
        changes={"winning_bid": winner, "award_explanation": explanation},
        payload={"status": target},
    )
    events: list[NewEvent] = []
    if winner is not None:
        listing = _award_listing(tender, winner)
        events.append(
            NewEvent(
                "tender.awarded",
                actor,
                subject=tender,
                supplier_id=winner.supplier_id,
                payload={"tender": tender.pk, "listing": listing.pk},
            )
        )
    events += [
        NewEvent(
            "tender.lost",
            actor,
            subject=tender,
            supplier_id=r.bid.supplier_id,
            payload={"tender": tender.pk},
        )
        for r in ranked
        if winner is None or r.bid.pk != winner.pk
    ]
    record_events(events)


def tenders_close_due(*, batch_size: int = 20) -> int:
    """Close every tender whose closing time has passed; returns how many this run closed."""
    closed = 0
    while True:
        with transaction.atomic():
            due = list(
                tenders_due()
                .select_for_update(skip_locked=True)
                .order_by("closes_at", "id")[:batch_size]
            )
            for tender in due:
                _close_locked(tender, None)
        closed += len(due)
        if len(due) < batch_size:
            return closed
