"""Price review (SPEC, "Price review"): the supplier proposes a supply price (CNY per unit); an
operator accepts, counters or rejects it; after a counter the supplier accepts or withdraws.
Every round is kept; a listing has at most one open round (a database constraint too)."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from suppliers.selectors import supplier_id_for

from ..models import Listing, PriceRound
from .listings import S, listing_transition

CENT = Decimal("0.01")
PROPOSABLE = {S.DRAFT, S.SUBMITTED, S.PRICE_REVIEW}


def _price(value: Decimal | str, field: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except ArithmeticError:
        price = Decimal("NaN")
    if (
        not price.is_finite()
        or price <= 0
        or price != price.quantize(CENT)
        or price > Decimal("9999999999.99")
    ):
        raise DomainError(
            "invalid_price",
            _("A price is a positive amount in CNY with at most two decimals."),
            fields={field: [_("Not a valid price.")]},
            kind=ErrorKind.INVALID,
        )
    return price


def _member_of(actor: User, listing: Listing) -> None:
    if supplier_id_for(actor) != listing.supplier_id:
        raise DomainError("not_found", _("No such listing."), kind=ErrorKind.NOT_FOUND)


def _open_round(listing: Listing) -> PriceRound:
    round_ = (
        PriceRound.objects.select_for_update()
        .filter(listing=listing, status__in=PriceRound.OPEN)
        .first()
    )
    if round_ is None:
        raise DomainError("no_open_round", _("This listing has no open price round."))
    return round_


def price_propose(
    listing: Listing, *, price: Decimal | str, actor: User, note: str = ""
) -> PriceRound:
    """The supplier proposes a supply price; a draft listing is submitted with it."""
    _member_of(actor, listing)
    value = _price(price, "price")
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status not in PROPOSABLE:
            raise DomainError(
                "not_in_review",
                _("A price can be proposed only before the listing is approved."),
            )
        number = (locked.price_rounds.aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                round_ = PriceRound.objects.create(
                    listing=locked,
                    number=number,
                    proposed_price=value,
                    supplier_note=note.strip(),
                    proposed_by=actor,
                )
        except IntegrityError:
            raise DomainError(
                "round_open",
                _("This listing already has an open price round; wait for its answer."),
                fields={"price": [_("A round is already open.")]},
            ) from None
        if locked.status == S.DRAFT:
            listing_transition(locked, S.SUBMITTED, actor=actor, reason=_("Price proposed."))
        record_event(
            "listing.price_proposed",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=round_,
            payload={"listing": locked.pk, "round": number, "price": str(value)},
        )
    listing.refresh_from_db()
    return round_


def _to_review(listing: Listing, actor: User) -> None:
    if listing.status == S.SUBMITTED:
        listing_transition(listing, S.PRICE_REVIEW, actor=actor)


def _close(round_: PriceRound, status: str, actor: User, *, note: str = "") -> None:
    round_.status = status
    round_.closed_at = timezone.now()
    if actor.is_staff:
        round_.reviewed_by = actor
        round_.operator_note = note.strip() or round_.operator_note
    round_.save(update_fields=["status", "closed_at", "reviewed_by", "operator_note"])


def _agree(listing: Listing, round_: PriceRound, actor: User) -> None:
    price = round_.agreed_price
    Listing.objects.filter(pk=listing.pk).update(supply_price_cny=price)
    listing.supply_price_cny = price
    listing_transition(
        listing,
        S.COMPLIANCE_REVIEW,
        actor=actor,
        reason=_("Supply price agreed: %(price)s CNY.") % {"price": price},
    )
    record_event(
        "listing.price_agreed",
        actor=actor,
        supplier_id=listing.supplier_id,
        subject=round_,
        payload={"listing": listing.pk, "round": round_.number, "price": str(price)},
    )


def price_accept(listing: Listing, *, actor: User, note: str = "") -> PriceRound:
    """An operator accepts the supplier's proposal."""
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        round_ = _open_round(locked)
        if round_.status != PriceRound.Status.PROPOSED:
            raise DomainError("round_countered", _("The supplier has a counter-offer to answer."))
        _to_review(locked, actor)
        _close(round_, PriceRound.Status.ACCEPTED, actor, note=note)
        _agree(locked, round_, actor)
    listing.refresh_from_db()
    return round_


def price_counter(
    listing: Listing, *, price: Decimal | str, actor: User, note: str = ""
) -> PriceRound:
    """An operator answers with another price; the supplier accepts it or withdraws."""
    value = _price(price, "counter_price")
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        round_ = _open_round(locked)
        if round_.status != PriceRound.Status.PROPOSED:
            raise DomainError("round_countered", _("This round already has a counter-offer."))
        _to_review(locked, actor)
        round_.status, round_.counter_price = PriceRound.Status.COUNTERED, value
        round_.reviewed_by, round_.operator_note = actor, note.strip()
        round_.save(update_fields=["status", "counter_price", "reviewed_by", "operator_note"])
        record_event(
            "listing.price_countered",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=round_,
            reason=round_.operator_note,
            payload={"listing": locked.pk, "round": round_.number, "price": str(value)},
        )
    listing.refresh_from_db()
    return round_


def price_reject(listing: Listing, *, actor: User, note: str) -> PriceRound:
    """An operator refuses the price; the listing goes back to draft for a new proposal."""
    if not note.strip():
        raise DomainError(
            "reason_required",
            _("Say why the price is rejected."),
            fields={"note": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        round_ = _open_round(locked)
        _close(round_, PriceRound.Status.REJECTED, actor, note=note)
        listing_transition(locked, S.DRAFT, actor=actor, reason=note)
        record_event(
            "listing.price_rejected",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=round_,
            reason=note.strip(),
            payload={"listing": locked.pk, "round": round_.number},
        )
    listing.refresh_from_db()
    return round_


def price_accept_counter(listing: Listing, *, actor: User) -> PriceRound:
    """The supplier takes the operator's counter-offer."""
    _member_of(actor, listing)
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        round_ = _open_round(locked)
        if round_.status != PriceRound.Status.COUNTERED:
            raise DomainError("no_counter", _("There is no counter-offer to accept."))
        _close(round_, PriceRound.Status.ACCEPTED, actor)
        _agree(locked, round_, actor)
    listing.refresh_from_db()
    return round_


def price_withdraw(listing: Listing, *, actor: User) -> PriceRound:
    """The supplier withdraws its proposal (or declines a counter): back to draft."""
    _member_of(actor, listing)
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        round_ = _open_round(locked)
        _close(round_, PriceRound.Status.WITHDRAWN, actor)
        listing_transition(locked, S.DRAFT, actor=actor, reason=_("Price withdrawn."))
        record_event(
            "listing.price_withdrawn",
            actor=actor,
            supplier_id=locked.supplier_id,
            subject=round_,
            payload={"listing": locked.pk, "round": round_.number},
        )
    listing.refresh_from_db()
    return round_
