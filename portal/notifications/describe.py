"""Which sentence each kind of event gets (`DESCRIBE`), and an event's sentence, reason, topic,
link and actor as the notifications page shows them."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from catalogue.models import Listing, PriceRound, Tender
from compliance.models import ListingMarketStatus
from logistics.models import (
    InboundShipment,
    OverstockOffer,
    SamplingState,
    StockingOrder,
)
from marketplace.models import Event
from orders.models import JitOrder, Penalty

from ..wording import (
    money,
)
from . import expiry
from .audits import CODE_REASONS_AUDITS, DESCRIBE_AUDITS, link_audits
from .enforcement import DESCRIBE_ENFORCEMENT, link_enforcement
from .parcel_gate import DESCRIBE_PARCEL_GATE, link_parcels
from .parcels import DESCRIBE_PARCELS
from .return_rates import CODE_REASONS_RETURN_RATES, DESCRIBE_RETURN_RATES, link_return_rates
from .returns import DESCRIBE_RETURNS, link_returns
from .sampling import DESCRIBE_SAMPLING
from .scorecards import DESCRIBE_SCORECARDS, link_scorecards
from .sentences import (
    Describer,
    _consumer,
    _counted,
    _evidence,
    _inspection,
    _jit_paused,
    _jit_resumed,
    _ledger_posted,
    _listing_created,
    _listing_gpsr_set,
    _listing_status,
    _order,
    _order_created,
    _order_scanned,
    _overstock,
    _penalty_assessed,
    _penalty_event,
    _pickup,
    _price,
    _product,
    _product_updated,
    _reminder,
    _retail_price,
    _severity,
    _shipment,
    _status_changed,
    _stocking,
    _stocking_issued,
    _tender,
)
from .subjects import Context

# Each kind a supplier can receive, in the order of marketplace.events.EVENT_KINDS. The sentences
# given to a helper are marked for the catalogue here and translated when read.
DESCRIBE: dict[str, Describer] = {
    "supplier.applied": lambda p, e, c: _("Application submitted."),
    "supplier.changes_requested": lambda p, e, c: _("The marketplace asks for changes."),
    "supplier.resubmitted": lambda p, e, c: _("Application resubmitted."),
    "supplier.status_changed": _status_changed,
    "supplier.jit_enrolled": lambda p, e, c: _("Enrolled in JIT."),
    "supplier.jit_paused": _jit_paused,
    "supplier.jit_resumed": _jit_resumed,
    "supplier.withdrawal_requested": lambda p, e, c: (
        _("Withdrawal of %(amount)s CNY requested.") % {"amount": money(p.get("amount", "0"))}
    ),
    "supplier.withdrawal_approved": lambda p, e, c: (
        _("Withdrawal of %(amount)s CNY approved and paid out.")
        % {"amount": money(p.get("amount", "0"))}
    ),
    "supplier.withdrawal_rejected": lambda p, e, c: _("Withdrawal request rejected."),
    "supplier.member_invited": lambda p, e, c: (
        _("%(email)s was invited.") % {"email": p.get("email", "?")}
    ),
    "supplier.member_joined": lambda p, e, c: (
        _("%(username)s joined.") % {"username": p.get("username", "?")}
    ),
    "supplier.member_removed": lambda p, e, c: (
        _("%(username)s was removed.") % {"username": p.get("username", "?")}
    ),
    "supplier.owner_changed": lambda p, e, c: (
        _("Ownership passed from %(from)s to %(to)s.")
        % {"from": p.get("from", "?"), "to": p.get("to", "?")}
    ),
    "product.created": lambda p, e, c: (
        _("Product “%(product)s” created.") % {"product": _product(p, c)}
    ),
    "product.updated": _product_updated,
    "listing.created": _listing_created,
    "listing.gpsr_details_set": _listing_gpsr_set,
    "listing.status_changed": _listing_status,
    "listing.price_proposed": _price(
        gettext_noop(
            "You proposed a supply price of %(price)s CNY for %(listing)s (round %(round)s)."
        )
    ),
    "listing.price_countered": _price(
        gettext_noop(
            "The marketplace countered with %(price)s CNY for %(listing)s (round %(round)s)."
        )
    ),
    "listing.price_rejected": _price(
        gettext_noop(
            "The marketplace rejected the price proposed for %(listing)s (round %(round)s)."
        )
    ),
    "listing.price_withdrawn": _price(
        gettext_noop("The price proposal for %(listing)s was withdrawn (round %(round)s).")
    ),
    "listing.price_agreed": _price(
        gettext_noop("Supply price of %(listing)s agreed at %(price)s CNY (round %(round)s).")
    ),
    "listing.retail_price_set": _retail_price,
    "tender.bid_placed": _tender(
        gettext_noop("Your bid on tender #%(tender)s (“%(product)s”) is in.")
    ),
    "tender.awarded": _tender(
        gettext_noop("You won tender #%(tender)s (“%(product)s”): the listing is ready for you.")
    ),
    "tender.lost": _tender(
        gettext_noop("Your bid on tender #%(tender)s (“%(product)s”) did not win.")
    ),
    "order.created": _order_created,
    "order.shipped": _order(gettext_noop("You shipped %(order)s (“%(product)s”) by SF Express.")),
    "order.scanned": _order_scanned,
    "stocking.issued": _stocking_issued,
    "stocking.accepted": _stocking(gettext_noop("Stocking order #%(id)s accepted (%(listing)s).")),
    "stocking.declined": _stocking(gettext_noop("Stocking order #%(id)s declined (%(listing)s).")),
    "stocking.shipped": _stocking(
        gettext_noop("Stocking order #%(id)s is on its way (%(listing)s).")
    ),
    "stocking.lapsed": _stocking(
        gettext_noop("Stocking order #%(id)s expired unshipped (%(listing)s).")
    ),
    "stocking.cancelled": _stocking(
        gettext_noop("The marketplace cancelled stocking order #%(id)s (%(listing)s).")
    ),
    "inbound.created": _shipment(
        gettext_noop(
            "Inbound shipment #%(id)s to %(warehouse)s noticed for stocking order #%(order)s."
        )
    ),
    "inbound.booked": _shipment(
        gettext_noop("Inbound shipment #%(id)s to %(warehouse)s is booked.")
    ),
    "inbound.in_transit": _shipment(
        gettext_noop("Inbound shipment #%(id)s is on its way to %(warehouse)s.")
    ),
    "inbound.arrived": _shipment(
        gettext_noop("Inbound shipment #%(id)s arrived at %(warehouse)s.")
    ),
    "inbound.receiving": _shipment(
        gettext_noop("%(warehouse)s started counting inbound shipment #%(id)s.")
    ),
    "inbound.received": _shipment(
        gettext_noop("Every line of inbound shipment #%(id)s was counted at %(warehouse)s.")
    ),
    "inbound.closed": _shipment(
        gettext_noop("Every lot of inbound shipment #%(id)s was inspected.")
    ),
    "inbound.cancelled": _shipment(gettext_noop("Inbound shipment #%(id)s was cancelled.")),
    "inbound.pickup_scheduled": _pickup,
    "inbound.counted": _counted,
    "inspection.accepted": _inspection,
    "inspection.rejected": _inspection,
    "inspection.severity_changed": _severity,
    "consumer_order.reserved": _consumer(
        gettext_noop(
            "Consumer order %(order)s reserved “%(product)s” (quantity %(quantity)s) at "
            "%(warehouse)s."
        )
    ),
    "consumer_order.fulfilled": _consumer(
        gettext_noop(
            "Consumer order %(order)s was sent: “%(product)s” (quantity %(quantity)s) sold, "
            "%(payable)s CNY payable to you."
        )
    ),
    "consumer_order.cancelled": _consumer(
        gettext_noop("Consumer order %(order)s was cancelled; its stock is available again.")
    ),
    "overstock.offered": _overstock(
        gettext_noop(
            "“%(product)s” (quantity %(quantity)s) at %(warehouse)s unsold for %(days)s days: "
            "take them back or leave them for a markdown."
        )
    ),
    "overstock.returned": _overstock(
        gettext_noop(
            "You took back “%(product)s” (quantity %(quantity)s) from %(warehouse)s at your "
            "freight."
        )
    ),
    "overstock.left_for_markdown": _overstock(
        gettext_noop(
            "You left “%(product)s” (quantity %(quantity)s) at %(warehouse)s for a markdown."
        )
    ),
    "overstock.marked_down": _overstock(
        gettext_noop(
            "The marketplace marked down “%(product)s” (quantity %(quantity)s) at %(warehouse)s."
        )
    ),
    "order.received": _order(gettext_noop("The JIT warehouse received %(order)s (“%(product)s”).")),
    "order.accepted": _order(gettext_noop("%(order)s (“%(product)s”) passed inspection.")),
    "order.rejected_quality": _order(
        gettext_noop("%(order)s (“%(product)s”) was rejected at inspection for quality.")
    ),
    "order.failed_stockout": _order(gettext_noop("%(order)s (“%(product)s”) failed: stockout.")),
    "order.cancelled": _order(gettext_noop("The consumer cancelled %(order)s (“%(product)s”).")),
    "order.shipping_reminder": _reminder,
    "order.penalty_assessed": _penalty_assessed,
    "order.penalty_appealed": _penalty_event(
        gettext_noop("You appealed the penalty %(tier)s on %(order)s.")
    ),
    "order.penalty_upheld": _penalty_event(
        gettext_noop("The marketplace upheld the penalty %(tier)s on %(order)s.")
    ),
    "order.penalty_waived": _penalty_event(
        gettext_noop(
            "The marketplace waived the penalty %(tier)s on %(order)s: %(amount)s CNY given back."
        )
    ),
    "order.penalty_reversed": _penalty_event(
        gettext_noop(
            "The carrier's first scan shows %(order)s shipped in time: the penalty %(tier)s is "
            "reversed and %(amount)s CNY given back."
        )
    ),
    "ledger.posted": _ledger_posted,
    "compliance.lapsed": expiry.lapsed,
    "compliance.restored": expiry.restored,
    "compliance.test_expiring": expiry.record_expiring,
    "compliance.certificate_expiring": expiry.certificate_expiring,
    **DESCRIBE_AUDITS,
    **DESCRIBE_SAMPLING,
    **DESCRIBE_ENFORCEMENT,
    **DESCRIBE_PARCELS,
    **DESCRIBE_RETURNS,
    **DESCRIBE_PARCEL_GATE,
    **DESCRIBE_RETURN_RATES,
    **DESCRIBE_SCORECARDS,
    # --- Compliance: evidence ---
    "compliance.test_record_posted": _evidence(
        gettext_noop("Test report %(number)s (%(standard)s) recorded.")
    ),
    "compliance.test_record_verified": _evidence(
        gettext_noop("Your test record for %(standard)s was verified: it counts from now.")
    ),
    "compliance.test_record_rejected": _evidence(
        gettext_noop("Your test record for %(standard)s was rejected.")
    ),
    "compliance.test_record_superseded": _evidence(
        gettext_noop("A retest replaced your earlier test record for %(standard)s.")
    ),
    "compliance.certificate_recorded": _evidence(
        gettext_noop("Certificate %(number)s recorded: a compliance officer will check it.")
    ),
    "compliance.certificate_verified": _evidence(
        gettext_noop("A compliance officer verified your certificate with its issuer.")
    ),
    "compliance.certificate_rejected": _evidence(
        gettext_noop("A compliance officer rejected your certificate.")
    ),
    "compliance.certificate_efiling_updated": _evidence(
        gettext_noop("The eFiling data of your certificate changed.")
    ),
}


# Kinds recorded for the marketplace alone: they name no supplier, so no supplier sees them.
NOT_FOR_SUPPLIERS = frozenset(
    {
        "tender.opened",
        "tender.closed",
        # An air freight batch carries many suppliers' parcels; each parcel's own events reach
        # its supplier.
        "air_freight_batch.departed",
        "air_freight_batch.arrived",
    }
)

# Kinds whose reason the code wrote itself (a code or a figure the sentence already gives).
CODE_REASONS = frozenset(
    {
        "ledger.posted",
        "supplier.jit_paused",
        "supplier.jit_resumed",
        "order.shipping_reminder",
        "order.penalty_assessed",
        "order.penalty_reversed",
        "overstock.offered",
        "inspection.accepted",
        "inspection.rejected",
    }
    | CODE_REASONS_AUDITS
    | CODE_REASONS_RETURN_RATES
)


def describe(event: Event, context: Context | None = None) -> str:
    describer = DESCRIBE.get(event.kind)
    context = context or Context(subject=None, entries={})
    if describer is None:
        # A kind newer than this list (the test of every kind keeps it from happening).
        return _("Something changed on your account.")
    return describer(event.payload or {}, event, context)


def reason_text(event: Event) -> str:
    """What a person wrote with the event, when it adds to the sentence; a reason written from
    the message catalogue reads in the reader's language."""
    reason = (event.reason or "").strip()
    if not reason or event.kind in CODE_REASONS:
        return ""
    if event.kind == "listing.status_changed" and event.actor_id is None:
        return ""
    if event.kind == "inspection.severity_changed" and (event.payload or {}).get("from") != (
        SamplingState.Severity.DISCONTINUED
    ):
        return ""
    return _(reason)


def topic(kind: str) -> str:
    """A coarse group for the list's colour mark."""
    if kind.startswith("ledger.") or "withdrawal" in kind or "penalty" in kind:
        return "money"
    if kind.startswith("supplier.jit_") or kind.startswith("order."):
        return "jit"
    if "member" in kind or "owner" in kind:
        return "members"
    return "status"


def link(event: Event, subject: Any) -> str:
    """Where the supplier reads more about what the event is about."""
    kind = event.kind
    if kind == "ledger.posted":
        return reverse("portal:ledger")
    if isinstance(subject, Penalty):
        return reverse("portal:penalty_detail", args=[subject.pk])
    if isinstance(subject, JitOrder):
        return reverse("portal:order_detail", args=[subject.pk])
    if kind == "order.shipping_reminder" and str((event.payload or {}).get("order", "")).isdigit():
        return reverse("portal:order_detail", args=[int(event.payload["order"])])
    if isinstance(subject, Listing):
        return reverse("portal:listing_detail", args=[subject.pk])
    if isinstance(subject, ListingMarketStatus):
        return reverse("portal:listing_detail", args=[subject.listing_id])
    if isinstance(subject, PriceRound):
        return reverse("portal:listing_detail", args=[subject.listing_id])
    if isinstance(subject, StockingOrder):
        return reverse("portal:stocking_order_detail", args=[subject.pk])
    if isinstance(subject, InboundShipment):
        return reverse("portal:shipment_detail", args=[subject.pk])
    if isinstance(subject, Tender):
        return reverse("portal:tender_detail", args=[subject.pk])
    if isinstance(subject, OverstockOffer):
        return reverse("portal:overstock_offers")
    if enforcement := link_enforcement(subject):
        return enforcement
    if returns := link_returns(subject):
        return returns
    if parcel := link_parcels(subject):
        return parcel
    if return_rates := link_return_rates(subject):
        return return_rates
    if scorecards := link_scorecards(kind):
        return scorecards
    if "withdrawal" in kind:
        return reverse("portal:withdrawals")
    if kind.startswith("supplier.jit_"):
        return reverse("portal:jit")
    if kind.startswith("compliance.test_record_") and event.subject_id.isdigit():
        return reverse("portal:compliance_record_detail", args=[int(event.subject_id)])
    if kind.startswith("compliance.certificate_") and event.subject_id.isdigit():
        return reverse("portal:compliance_certificate_detail", args=[int(event.subject_id)])
    return link_audits(subject)


def actor_label(event: Event) -> str:
    """Who did it, as the supplier may know it: its own people by name, the marketplace's staff
    as the marketplace."""
    actor = event.actor
    if actor is None:
        return _("System")
    if actor.is_staff or actor.is_superuser:
        return _("Marketplace team")
    return actor.get_full_name() or actor.username
