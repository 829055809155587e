"""Price review (SPEC, "Price review"): the supplier proposes a supply price (CNY per unit); an
operator accepts, counters or rejects it; after a counter the supplier accepts or withdraws.
Every round is kept; a listing has at most one open round (a database constraint too). An answer
names the round it answers, and only an open round is answered; a round moves through its
machine (catalogue.models.PRICE_ROUND_MACHINE)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition

from ..models import PRICE_ROUND_MACHINE, Listing, PriceRound
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
    membership = getattr(actor, "supplier_membership", None)
    if membership is None or membership.supplier_id != listing.supplier_id:
        raise DomainError("not_found", _("No such listing."), kind=ErrorKind.NOT_FOUND)


def price_round_open(listing: Listing) -> PriceRound:
    """The listing's open round, the one a supplier's door answers (the services check again,
    on the locked round, that it is still open)."""
    round_ = PriceRound.objects.filter(listing=listing, status__in=PriceRound.OPEN).first()
    if round_ is None:
        raise DomainError("no_open_round", _("This listing has no open price round."))
    return round_


def _lock_open(round_: PriceRound) -> tuple[Listing, PriceRound]:
    """Lock the round's listing, then the round (the order price_propose takes them in), and
    refuse a round already answered: only an open round is answered."""
    listing = Listing.objects.select_for_update().get(pk=round_.listing_id)
    locked = PriceRound.objects.select_for_update().get(pk=round_.pk)
    if not locked.is_open:
        raise DomainError(
            "round_closed",
            _("This round is %(status)s; only an open round is answered.")
            % {"status": locked.get_status_display()},
        )
    return listing, locked


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


def _closing(actor: User, note: str = "") -> dict[str, object]:
    """The fields a closing answer sets: when, and the operator's name and note."""
    changes: dict[str, object] = {"closed_at": timezone.now()}
    if actor.is_staff:
        changes["reviewed_by"] = actor
        if note.strip():
            changes["operator_note"] = note.strip()
    return changes


def _back_to_draft(
    listing: Listing, actor: User, reason: str
) -> Callable[[PriceRound, PriceRound], None]:
    """A rejected or withdrawn round sends its listing back to draft, for a new proposal."""

    def then(locked: PriceRound, before: PriceRound) -> None:
        listing_transition(listing, S.DRAFT, actor=actor, reason=reason)

    return then


def _accept(listing: Listing, round_: PriceRound, actor: User, note: str = "") -> None:
    """The round is accepted: the price is agreed, and the listing goes on to compliance."""

    def agree(locked: PriceRound, before: PriceRound) -> None:
        price = locked.agreed_price
        Listing.objects.filter(pk=listing.pk).update(supply_price_cny=price)
        listing.supply_price_cny = price
        listing_transition(
            listing,
            S.COMPLIANCE_REVIEW,
            actor=actor,
            reason=_("Supply price agreed: %(price)s CNY.") % {"price": price},
        )

    price = round_.counter_price if round_.counter_price is not None else round_.proposed_price
    transition(
        round_,
        PRICE_ROUND_MACHINE,
        PriceRound.Status.ACCEPTED,
        actor=actor,
        changes=_closing(actor, note),
        then=agree,
        payload={"listing": round_.listing_id, "round": round_.number, "price": str(price)},
    )


def price_accept(round_: PriceRound, *, actor: User, note: str = "") -> PriceRound:
    """An operator accepts the supplier's proposal."""
    with transaction.atomic():
        listing, locked = _lock_open(round_)
        if locked.status != PriceRound.Status.PROPOSED:
            raise DomainError("round_countered", _("The supplier has a counter-offer to answer."))
        _to_review(listing, actor)
        _accept(listing, locked, actor, note)
    round_.refresh_from_db()
    return round_


def price_counter(
    round_: PriceRound, *, price: Decimal | str, actor: User, note: str = ""
) -> PriceRound:
    """An operator answers with another price; the supplier accepts it or withdraws."""
    value = _price(price, "counter_price")
    with transaction.atomic():
        listing, locked = _lock_open(round_)
        if locked.status != PriceRound.Status.PROPOSED:
            raise DomainError("round_countered", _("This round already has a counter-offer."))
        _to_review(listing, actor)
        transition(
            locked,
            PRICE_ROUND_MACHINE,
            PriceRound.Status.COUNTERED,
            actor=actor,
            reason=note.strip(),
            changes={"counter_price": value, "reviewed_by": actor, "operator_note": note.strip()},
            payload={"listing": locked.listing_id, "round": locked.number, "price": str(value)},
        )
    round_.refresh_from_db()
    return round_


def price_reject(round_: PriceRound, *, actor: User, note: str) -> PriceRound:
    """An operator refuses the price; the listing goes back to draft for a new proposal."""
    if not note.strip():
        raise DomainError(
            "reason_required",
            _("Say why the price is rejected."),
            fields={"note": [_("Required.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        listing, locked = _lock_open(round_)
        transition(
            locked,
            PRICE_ROUND_MACHINE,
            PriceRound.Status.REJECTED,
            actor=actor,
            reason=note.strip(),
            changes=_closing(actor, note),
            then=_back_to_draft(listing, actor, note.strip()),
            payload={"listing": locked.listing_id, "round": locked.number},
        )
    round_.refresh_from_db()
    return round_


def price_accept_counter(round_: PriceRound, *, actor: User) -> PriceRound:
    """The supplier takes the operator's counter-offer."""
    _member_of(actor, round_.listing)
    with transaction.atomic():
        listing, locked = _lock_open(round_)
        if locked.status != PriceRound.Status.COUNTERED:
            raise DomainError("no_counter", _("There is no counter-offer to accept."))
        _accept(listing, locked, actor)
    round_.refresh_from_db()
    return round_


def price_withdraw(round_: PriceRound, *, actor: User) -> PriceRound:
    """The supplier withdraws its proposal (or declines a counter): back to draft."""
    _member_of(actor, round_.listing)
    with transaction.atomic():
        listing, locked = _lock_open(round_)
        transition(
            locked,
            PRICE_ROUND_MACHINE,
            PriceRound.Status.WITHDRAWN,
            actor=actor,
            changes=_closing(actor),
            then=_back_to_draft(listing, actor, _("Price withdrawn.")),
            payload={"listing": locked.listing_id, "round": locked.number},
        )
    round_.refresh_from_db()
    return round_
