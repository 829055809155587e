"""Listings and their life (SPEC, "Listings"; the table is `LISTING_MACHINE`, beside the model):

    draft → submitted → price_review → compliance_review → approved → live ⇄ paused → delisted

Every move goes through `listing_transition` (marketplace.states: the row locked, the move
checked against the table, an event written with actor and reason). `listing_stock_changed` is
the one function other apps call when a listing's available stock changes: it pauses a non-JIT
listing at zero and resumes it when stock returns, and never touches JIT listings.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from compliance.selectors.answer import compliance_blocked, listing_answers
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event
from marketplace.states import transition
from suppliers.models import Supplier

from ..models import (
    LISTING_MACHINE,
    MARKET_CURRENCY,
    Listing,
    ListingPrice,
    Market,
    OverseasStock,
    Product,
)
from ..selectors import sellable_markets_of

S = Listing.Status

# What the supplier does next, by state (shown in the portal).
NEXT_STEP = {
    S.DRAFT: gettext_lazy("Propose a supply price to submit the listing."),
    S.SUBMITTED: gettext_lazy("Waiting for an operator to review the price."),
    S.PRICE_REVIEW: gettext_lazy("Price review: answer a counter-offer if there is one."),
    S.COMPLIANCE_REVIEW: gettext_lazy("Waiting for compliance review."),
    S.APPROVED: gettext_lazy("Approved: an operator sets the retail prices and publishes it."),
    S.LIVE: gettext_lazy("Live and selling."),
    S.PAUSED: gettext_lazy("Paused: see the reason."),
    S.DELISTED: gettext_lazy("Delisted: see the reason."),
}


def listing_transition(
    listing: Listing,
    target: str,
    *,
    actor: User | None,
    reason: str = "",
    paused_for_stock: bool = False,
) -> Listing:
    reason = reason.strip()

    def check(locked: Listing) -> None:
        if target == S.DELISTED and not reason:
            raise DomainError(
                "reason_required",
                _("Say why the listing is delisted."),
                fields={"reason": [_("Required.")]},
                kind=ErrorKind.INVALID,
            )

    return transition(
        listing,
        LISTING_MACHINE,
        target,
        actor=actor,
        reason=reason,
        check=check,
        changes={"status_reason": reason, "paused_for_stock": paused_for_stock},
    )


def listing_create(
    supplier: Supplier, product: Product, *, mode: str, is_jit: bool, actor: User | None
) -> Listing:
    if is_jit and mode != Listing.Mode.FULLY_MANAGED:
        raise DomainError(
            "jit_fully_managed_only",
            _("Only a fully managed listing can be JIT."),
            fields={"is_jit": [_("Fully managed listings only.")]},
            kind=ErrorKind.INVALID,
        )
    if is_jit and not supplier.jit_enrolled:
        raise DomainError(
            "jit_not_enrolled",
            _("The supplier is not enrolled in JIT."),
            fields={"is_jit": [_("Enrol in JIT first.")]},
            kind=ErrorKind.INVALID,
        )
    if product.owner_id not in (None, supplier.pk):
        raise DomainError("not_found", _("No such product."), kind=ErrorKind.NOT_FOUND)
    try:
        with transaction.atomic():
            listing = Listing.objects.create(
                supplier=supplier, product=product, mode=mode, is_jit=is_jit
            )
            record_event(
                "listing.created",
                actor=actor,
                supplier_id=supplier.pk,
                subject=listing,
                payload={"mode": mode, "is_jit": is_jit},
            )
    except IntegrityError:
        raise DomainError(
            "listing_exists",
            _("This supplier already lists this product in this mode."),
            fields={"mode": [_("Already listed.")]},
        ) from None
    return listing


def available_stock(listing: Listing) -> int:
    """What can be sold now: a semi-managed seller's reported overseas stock; for a fully
    managed listing its consignment stock available in any of the platform's warehouses (one
    aggregate over its stock positions, read off their (listing, warehouse) index)."""
    if listing.mode == Listing.Mode.SEMI_MANAGED:
        total = listing.overseas_stock.aggregate(total=Sum("quantity"))["total"]
        return int(total or 0)
    # Through the relation logistics declares: logistics builds on the catalogue, not back.
    total = listing.stock_positions.filter(available__gt=0).aggregate(total=Sum("available"))[
        "total"
    ]
    return int(total or 0)


def listing_stock_changed(
    listing: Listing, available: int, *, actor: User | None = None
) -> Listing:
    """Pause a non-JIT live listing that has no available stock; resume one this rule paused
    when stock is back. JIT listings sell without stock and are never touched."""
    with transaction.atomic():
        # Decide on the row as it is now, not on a copy the caller loaded earlier.
        current = Listing.objects.select_for_update().get(pk=listing.pk)
        if current.is_jit:
            return current
        if current.status == S.LIVE and available <= 0:
            current = listing_transition(
                current,
                S.PAUSED,
                actor=actor,
                reason=_("No available stock."),
                paused_for_stock=True,
            )
        elif current.status == S.PAUSED and current.paused_for_stock and available > 0:
            current = listing_transition(
                current,
                S.LIVE,
                actor=actor,
                reason=_("Stock is back: %(n)d available.") % {"n": available},
            )
    listing.status, listing.status_reason = current.status, current.status_reason
    listing.paused_for_stock = current.paused_for_stock
    return current


def listing_pause_for_review(listing: Listing, *, reason: str, actor: User | None) -> bool:
    """The return-rate feedback takes a listing off sale for an operator's review: a
    live listing is paused with the reason; one already paused for want of stock is now held
    for review instead, so the stock rule no longer resumes it. Only an operator resumes it
    (`listing_resume`). Any other state is left as it is. Returns whether the listing is now
    held for review by this call."""
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == S.LIVE:
            transition(
                locked,
                LISTING_MACHINE,
                S.PAUSED,
                actor=actor,
                reason=reason.strip(),
                changes={"status_reason": reason.strip()[:300], "paused_for_stock": False},
                payload={"rule": "return_rate"},
            )
            return True
        if locked.status == S.PAUSED and locked.paused_for_stock:
            locked.paused_for_stock = False
            locked.status_reason = reason.strip()[:300]
            locked.save(update_fields=["paused_for_stock", "status_reason"])
            return True
    return False


def compliance_holding(listing: Listing) -> list[str]:
    """The markets where the compliance answer lets the listing be sold, of those that matter to
    it: the markets it is priced in; without a price yet, the markets whose programmes apply to
    it (every market when none does). Refuses with 422 `compliance_blocked`, every reason in
    the body, when it holds in none of them (the gates of approval, publishing and resuming)."""
    loaded = Listing.objects.select_related("product__category").get(pk=listing.pk)
    result = listing_answers(loaded, Market.values)
    considered = sorted(result.priced) or sorted(result.regulated) or list(Market.values)
    holding = result.holding(considered)
    if not holding:
        raise compliance_blocked(result.answers[market] for market in considered)
    return holding


def listing_compliance_approve(listing: Listing, *, actor: User, reason: str = "") -> Listing:
    """A compliance officer approves a listing in compliance review: only when the compliance
    answer holds in at least one market (`compliance_holding`); the event's reason names them."""
    if not actor.has_perm("catalogue.approve_compliance"):
        raise DomainError(
            "forbidden",
            _("Only compliance officers approve a listing's compliance."),
            kind=ErrorKind.FORBIDDEN,
        )
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == S.COMPLIANCE_REVIEW:
            holding = compliance_holding(locked)
            reason = reason.strip() or _("Compliance holds in %(markets)s.") % {
                "markets": ", ".join(holding)
            }
        approved = listing_transition(locked, S.APPROVED, actor=actor, reason=reason)
    listing.status, listing.status_reason = approved.status, approved.status_reason
    return approved


def listing_publish(listing: Listing, *, actor: User) -> Listing:
    """An operator puts an approved listing on sale, only where the compliance answer holds in
    at least one of its priced markets; without stock (and not JIT) it goes straight to
    paused, and the stock rule resumes it."""
    if not listing.prices.exists():
        raise DomainError(
            "no_retail_price",
            _("Set a retail price in at least one market first."),
            fields={"prices": [_("Required.")]},
        )
    if listing.status == S.APPROVED:
        compliance_holding(listing)
    with transaction.atomic():
        listing_transition(listing, S.LIVE, actor=actor, reason=_("Published."))
        return listing_stock_changed(listing, available_stock(listing), actor=actor)


def listing_resume(listing: Listing, *, actor: User, reason: str = "") -> Listing:
    """Put a paused listing back on sale. Only a paused listing resumes (an approved one is
    published, which needs a retail price); a live one is left as it is; nor one whose
    compliance holds in none of its markets (`compliance_holding`). Back on sale only with
    stock to sell: a non-JIT listing without available stock stays paused, now for want of
    stock, so the stock rule resumes it when stock arrives. One transaction, the row locked
    throughout, so nobody sees it live without stock and a stock change cannot slip in between."""
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == S.LIVE:
            return locked
        if locked.status != S.PAUSED:
            raise DomainError(
                "not_paused",
                _("Only a paused listing resumes; this one is %(status)s.")
                % {"status": locked.get_status_display()},
            )
        compliance_holding(locked)
        live = listing_transition(
            locked, S.LIVE, actor=actor, reason=reason.strip() or _("Resumed by an operator.")
        )
        current = listing_stock_changed(live, available_stock(live), actor=actor)
    listing.status, listing.status_reason = current.status, current.status_reason
    listing.paused_for_stock = current.paused_for_stock
    return current


def listing_gpsr_set(
    listing: Listing, *, manufacturer: str, responsible_person: str, actor: User
) -> Listing:
    """The supplier names the listing's manufacturer and EU responsible person (GPSR (EU)
    2023/988: the EU compliance answer requires both), in any state but delisted. The caller
    fetched the listing through `listings_visible_to`: its own supplier's only."""
    values = {
        "gpsr_manufacturer": manufacturer.strip(),
        "eu_responsible_person": responsible_person.strip(),
    }
    for name, value in values.items():
        if len(value) > 300:
            raise DomainError(
                "too_long",
                _("At most 300 characters."),
                fields={name: [_("At most 300 characters.")]},
                kind=ErrorKind.INVALID,
            )
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == S.DELISTED:
            raise DomainError("listing_delisted", _("This listing is delisted."))
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(locked, name, values[name])
            locked.save(update_fields=changed)
            record_event(
                "listing.gpsr_details_set",
                actor=actor,
                supplier_id=locked.supplier_id,
                subject=locked,
                payload={"changed": changed},
            )
    for name, value in values.items():
        setattr(listing, name, value)
    return locked


CASE_PACK_MAX = 100_000
LEAD_DAYS_MAX = 365


def listing_restock_set(
    listing: Listing, *, case_pack: object, production_lead_days: object, actor: User
) -> Listing:
    """How the listing is restocked (SPEC, "Demand-driven restock"): units in one case (stocking
    orders are proposed in whole cases, 1 or more) and the supplier's production lead time in
    days (0 to 365; None: the platform's default). Set by the listing's supplier or by an
    operator; the caller fetched the listing through `listings_visible_to`."""
    from suppliers.selectors import supplier_id_for

    member = supplier_id_for(actor)
    if member is not None and member != listing.supplier_id:
        raise DomainError("not_found", _("Not found."), kind=ErrorKind.NOT_FOUND)
    if member is None and not actor.is_staff:
        raise DomainError(
            "forbidden", _("Only the supplier or an operator."), kind=ErrorKind.FORBIDDEN
        )
    if (
        isinstance(case_pack, bool)
        or not isinstance(case_pack, int)
        or not 1 <= case_pack <= CASE_PACK_MAX
    ):
        raise DomainError(
            "invalid_case_pack",
            _("A case holds 1 to %(n)d units.") % {"n": CASE_PACK_MAX},
            fields={"case_pack": [_("Between 1 and %(n)d.") % {"n": CASE_PACK_MAX}]},
            kind=ErrorKind.INVALID,
        )
    if production_lead_days is not None and (
        isinstance(production_lead_days, bool)
        or not isinstance(production_lead_days, int)
        or not 0 <= production_lead_days <= LEAD_DAYS_MAX
    ):
        raise DomainError(
            "invalid_production_lead_days",
            _("The production lead time is 0 to %(n)d days.") % {"n": LEAD_DAYS_MAX},
            fields={
                "production_lead_days": [_("Between 0 and %(n)d days.") % {"n": LEAD_DAYS_MAX}]
            },
            kind=ErrorKind.INVALID,
        )
    values = {"case_pack": case_pack, "production_lead_days": production_lead_days}
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        if locked.status == S.DELISTED:
            raise DomainError("listing_delisted", _("This listing is delisted."))
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(locked, name, values[name])
            locked.save(update_fields=changed)
            record_event(
                "listing.restock_set",
                actor=actor,
                supplier_id=locked.supplier_id,
                subject=locked,
                payload={
                    "changed": changed,
                    "case_pack": locked.case_pack,
                    "production_lead_days": locked.production_lead_days,
                },
            )
    for name, value in values.items():
        setattr(listing, name, value)
    return locked


def retail_price_set(
    listing: Listing, *, market: str, amount: Decimal | str, actor: User
) -> ListingPrice:
    """The platform alone sets retail prices, per market, in the market's currency."""
    if not actor.is_staff:
        raise DomainError(
            "operators_only", _("Only operators set retail prices."), kind=ErrorKind.FORBIDDEN
        )
    if market not in Market.values:
        raise DomainError(
            "unknown_market",
            _("Unknown market."),
            fields={"market": [_("Unknown.")]},
            kind=ErrorKind.INVALID,
        )
    try:
        value = Decimal(str(amount))
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite() or value <= 0:
        raise DomainError(
            "invalid_amount",
            _("A retail price is above zero."),
            fields={"amount": [_("Above zero.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        price, _created = ListingPrice.objects.update_or_create(
            listing=listing,
            market=market,
            defaults={
                "currency": MARKET_CURRENCY[market],
                "amount": value,
                "set_by": actor,
                "set_at": timezone.now(),
            },
        )
        record_event(
            "listing.retail_price_set",
            actor=actor,
            supplier_id=listing.supplier_id,
            subject=listing,
            payload={"market": market, "amount": str(value), "currency": price.currency},
        )
    return price


def overseas_stock_report(
    listing: Listing, *, market: str, quantity: int, actor: User | None
) -> OverseasStock:
    """A semi-managed seller reports its stock in one market; the listing sells only where it is
    above zero, and pauses or resumes by the stock rule."""
    if listing.mode != Listing.Mode.SEMI_MANAGED:
        raise DomainError(
            "not_semi_managed",
            _("Only semi-managed listings report overseas stock."),
            fields={"market": [_("Not a semi-managed listing.")]},
            kind=ErrorKind.INVALID,
        )
    if market not in Market.values:
        raise DomainError(
            "unknown_market",
            _("Unknown market."),
            fields={"market": [_("Unknown.")]},
            kind=ErrorKind.INVALID,
        )
    if quantity < 0:
        raise DomainError(
            "invalid_quantity",
            _("Stock cannot be negative."),
            fields={"quantity": [_("Zero or more.")]},
            kind=ErrorKind.INVALID,
        )
    with transaction.atomic():
        # Locked: a consumer order reserving from it waits, and the check below sees its units.
        held = (
            OverseasStock.objects.select_for_update()
            .filter(listing=listing, market=market)
            .values_list("reserved", flat=True)
            .first()
        )
        if held and quantity < held:
            raise DomainError(
                "below_reserved",
                _(
                    "Consumer orders hold %(n)d units in %(market)s until you ship them: report "
                    "at least that many."
                )
                % {"n": held, "market": market},
                fields={"quantity": [_("At least %(n)d (reserved by orders).") % {"n": held}]},
                kind=ErrorKind.INVALID,
            )
        stock, _created = OverseasStock.objects.update_or_create(
            listing=listing,
            market=market,
            defaults={"quantity": quantity, "reported_at": timezone.now(), "reported_by": actor},
        )
        listing_stock_changed(listing, available_stock(listing), actor=actor)
    return stock


def sellable_markets(listing: Listing) -> list[str]:
    """Where a consumer can buy the listing now (the rule is `selectors.sellable_markets_of`)."""
    return sellable_markets_of(listing)
