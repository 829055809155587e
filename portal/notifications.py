"""The supplier's events in words: the notification list and the application history.

Every kind of event a supplier receives has a sentence here, made when the page is read, in the
reader's language, from the event's payload and the record it is about; times are China time with
the zone. A reason is shown when a person wrote it (an operator's decision, the supplier's own
note); what the code wrote itself is already said by the sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.http import require_GET

from catalogue.models import Listing, Market, PriceRound, Product, Tender
from logistics.models import (
    InboundShipment,
    Inspection,
    OverstockOffer,
    SamplingState,
    StockingOrder,
)
from marketplace.models import Event
from orders.models import ConsumerOrder, JitOrder, Penalty
from suppliers.models import LedgerEntry, Membership, Supplier
from suppliers.selectors import notifications_visible_to

from .access import SupplierRequest, supplier_required
from .context import set_unread_count
from .wording import (
    EntryText,
    describe_entries,
    local_time,
    money,
    penalty_case,
    product_title,
    tier_name,
    warehouse_name,
)

PAGE_SIZE = 50


def choice_label(choices: type[models.TextChoices], value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


# --- What each event is about ------------------------------------------------------------------

# The record an event names as its subject, loaded with what its sentence needs (one query per
# kind of record on the page).
SUBJECT_RELATED: dict[type[models.Model], tuple[str, ...]] = {
    JitOrder: ("listing__product",),
    Penalty: ("order",),
    Listing: ("product",),
    PriceRound: ("listing__product",),
    Tender: ("product",),
    StockingOrder: ("listing__product", "warehouse"),
    InboundShipment: ("warehouse", "pickup_slot"),
    Inspection: ("product",),
    SamplingState: ("product",),
    ConsumerOrder: ("listing__product", "warehouse"),
    OverstockOffer: ("lot__position__listing__product", "lot__position__warehouse"),
}


@dataclass
class Context:
    """What a sentence may draw on besides the event: its subject, and the words of the ledger
    entries on the page."""

    subject: Any
    entries: Mapping[int, EntryText]


def load_subjects(events: list[Event]) -> dict[tuple[int, str], Any]:
    wanted: dict[int, set[str]] = defaultdict(set)
    for event in events:
        if event.subject_type_id and event.subject_id:
            wanted[event.subject_type_id].add(event.subject_id)
    found: dict[tuple[int, str], Any] = {}
    for type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        keys = [int(pk) for pk in ids if pk.isdigit()]
        rows = model._default_manager.filter(pk__in=keys)
        related = SUBJECT_RELATED.get(model)
        if related:
            rows = rows.select_related(*related)
        for row in rows:
            found[(type_id, str(row.pk))] = row
    return found


# --- Sentences -----------------------------------------------------------------------------

Describer = Callable[[Mapping[str, Any], Event, Context], str]


def _listing_words(listing: Listing | None, fallback: Any = None) -> str:
    if listing is None:
        return _("listing #%(id)s") % {"id": fallback or "?"}
    return _("“%(product)s” (listing #%(id)s)") % {
        "product": product_title(listing.product),
        "id": listing.pk,
    }


def _order_words(order: JitOrder | None, fallback: Any = None) -> str:
    return _("order #%(id)s") % {"id": order.pk if order is not None else (fallback or "?")}


def _ledger_posted(p: Mapping[str, Any], event: Event, c: Context) -> str:
    entry = c.subject if isinstance(c.subject, LedgerEntry) else None
    text = c.entries.get(entry.pk) if entry is not None else None
    what = text.description if text else choice_label(LedgerEntry.Kind, p.get("kind"))
    return _("%(what)s: %(amount)s CNY; the balance is now %(balance)s CNY.") % {
        "what": what,
        "amount": money(p.get("amount", "0")),
        "balance": money(p.get("balance", "0")),
    }


def _status_changed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Status changed from %(from)s to %(to)s.") % {
        "from": choice_label(Supplier.Status, p.get("from")),
        "to": choice_label(Supplier.Status, p.get("to")),
    }


def _jit_paused(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "JIT paused: the deposit, %(balance)s CNY, fell below the JIT minimum of %(minimum)s "
        "CNY. Top up to take JIT orders again."
    ) % {"balance": money(p.get("balance", "0")), "minimum": money(settings.JIT_MIN_DEPOSIT_CNY)}


def _jit_resumed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("JIT resumed: the deposit, %(balance)s CNY, is back at or above the minimum.") % {
        "balance": money(p.get("balance", "0"))
    }


def _product(p: Mapping[str, Any], c: Context) -> str:
    if isinstance(c.subject, Product):
        return product_title(c.subject)
    return str(p.get("title_en") or "?")


def _product_updated(p: Mapping[str, Any], event: Event, c: Context) -> str:
    if "images" in (p.get("changed") or []):
        return _("A photo was added to product “%(product)s”.") % {"product": _product(p, c)}
    return _("Product “%(product)s” was changed.") % {"product": _product(p, c)}


def _listing_of(c: Context) -> Listing | None:
    subject = c.subject
    if isinstance(subject, Listing):
        return subject
    if isinstance(subject, PriceRound | StockingOrder | ConsumerOrder):
        return subject.listing
    if isinstance(subject, JitOrder):
        return subject.listing
    if isinstance(subject, OverstockOffer):
        return subject.lot.position.listing
    return None


def _listing_created(p: Mapping[str, Any], event: Event, c: Context) -> str:
    listing = _listing_of(c)
    mode = choice_label(Listing.Mode, p.get("mode"))
    if p.get("is_jit"):
        return _("Listing %(listing)s created: %(mode)s, JIT.") % {
            "listing": _listing_words(listing),
            "mode": mode,
        }
    return _("Listing %(listing)s created: %(mode)s.") % {
        "listing": _listing_words(listing),
        "mode": mode,
    }


def _listing_status(p: Mapping[str, Any], event: Event, c: Context) -> str:
    listing = _listing_words(_listing_of(c))
    before, after = p.get("from"), p.get("to")
    if event.actor_id is None and after == Listing.Status.PAUSED:
        return _("Listing %(listing)s paused: no stock is available.") % {"listing": listing}
    if event.actor_id is None and before == Listing.Status.PAUSED and after == "live":
        return _("Listing %(listing)s is live again: stock is back.") % {"listing": listing}
    return _("Listing %(listing)s moved from %(from)s to %(to)s.") % {
        "listing": listing,
        "from": choice_label(Listing.Status, before),
        "to": choice_label(Listing.Status, after),
    }


def _price(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        return _(sentence) % {
            "listing": _listing_words(_listing_of(c), p.get("listing")),
            "round": p.get("round", "?"),
            "price": money(p.get("price", "0")),
        }

    return describe


def _retail_price(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Retail price of %(listing)s in %(market)s set to %(amount)s %(currency)s.") % {
        "listing": _listing_words(_listing_of(c)),
        "market": choice_label(Market, p.get("market")),
        "amount": p.get("amount", "?"),
        "currency": p.get("currency", ""),
    }


def _tender(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        tender = c.subject if isinstance(c.subject, Tender) else None
        return _(sentence) % {
            "tender": tender.pk if tender else p.get("tender", "?"),
            "product": product_title(tender.product) if tender else "?",
        }

    return describe


def _order(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        order = c.subject if isinstance(c.subject, JitOrder) else None
        return _(sentence) % {
            "order": _order_words(order, event.subject_id),
            "product": product_title(order.listing.product) if order else "?",
        }

    return describe


def _order_created(p: Mapping[str, Any], event: Event, c: Context) -> str:
    order = c.subject if isinstance(c.subject, JitOrder) else None
    quantity = int(p.get("quantity") or 0)
    return ngettext(
        "New JIT %(order)s: %(quantity)d unit of “%(product)s”, %(value)s CNY. "
        "Ship it by %(deadline)s.",
        "New JIT %(order)s: %(quantity)d units of “%(product)s”, %(value)s CNY. "
        "Ship it by %(deadline)s.",
        quantity,
    ) % {
        "order": _order_words(order, event.subject_id),
        "quantity": quantity,
        "product": product_title(order.listing.product) if order else "?",
        "value": money(p.get("goods_value", "0")),
        "deadline": local_time(p.get("deadline")),
    }


def _order_scanned(p: Mapping[str, Any], event: Event, c: Context) -> str:
    order = c.subject if isinstance(c.subject, JitOrder) else None
    return _("SF Express scanned %(order)s at %(time)s: the official time of shipment.") % {
        "order": _order_words(order, event.subject_id),
        "time": local_time(p.get("first_scan_at")),
    }


def _reminder(p: Mapping[str, Any], event: Event, c: Context) -> str:
    words = {"order": _order_words(None, p.get("order")), "deadline": local_time(p.get("deadline"))}
    if p.get("reminder") == "second":
        return _("Last reminder: ship %(order)s by %(deadline)s, or it is late.") % words
    return _("Reminder: ship %(order)s by %(deadline)s.") % words


def _penalty(c: Context) -> Penalty | None:
    return c.subject if isinstance(c.subject, Penalty) else None


def _penalty_assessed(p: Mapping[str, Any], event: Event, c: Context) -> str:
    penalty = _penalty(c)
    words = {
        "tier": tier_name(penalty.tier if penalty else str(p.get("tier", ""))),
        "order": _order_words(None, p.get("order")),
        "amount": money(p.get("amount", "0")),
    }
    if penalty is not None:
        words["case"] = penalty_case(penalty)
        if not penalty.amount:
            return (
                _(
                    "Penalty %(tier)s on %(order)s (%(case)s): nothing more taken, the order's "
                    "penalties are at their cap."
                )
                % words
            )
        return (
            _("Penalty %(tier)s on %(order)s (%(case)s): %(amount)s CNY taken from the deposit.")
            % words
        )
    return _("Penalty %(tier)s on %(order)s: %(amount)s CNY taken from the deposit.") % words


def _penalty_event(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        penalty = _penalty(c)
        return _(sentence) % {
            "tier": tier_name(penalty.tier) if penalty else "?",
            "order": _order_words(None, penalty.order_id if penalty else None),
            "amount": money(p.get("amount", "0")),
        }

    return describe


def _stocking(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        order = c.subject if isinstance(c.subject, StockingOrder) else None
        return _(sentence) % {
            "id": order.pk if order else event.subject_id,
            "listing": _listing_words(_listing_of(c)),
        }

    return describe


def _stocking_issued(p: Mapping[str, Any], event: Event, c: Context) -> str:
    order = c.subject if isinstance(c.subject, StockingOrder) else None
    return _(
        "Stocking order #%(id)s: send %(quantity)s units of %(listing)s to %(warehouse)s by "
        "%(expires)s."
    ) % {
        "id": order.pk if order else event.subject_id,
        "quantity": p.get("quantity", "?"),
        "listing": _listing_words(_listing_of(c)),
        "warehouse": warehouse_name(order.warehouse) if order else p.get("warehouse", "?"),
        "expires": local_time(p.get("expires_at")),
    }


def _shipment(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        shipment = c.subject if isinstance(c.subject, InboundShipment) else None
        return _(sentence) % {
            "id": shipment.pk if shipment else event.subject_id,
            "warehouse": warehouse_name(shipment.warehouse) if shipment else "?",
            "order": p.get("stocking_order", "?"),
        }

    return describe


def _pickup(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _("Circular pickup for inbound shipment #%(id)s on %(date)s, %(window)s.") % {
        "id": event.subject_id,
        "date": p.get("date", "?"),
        "window": p.get("window", ""),
    }


def _counted(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Inbound shipment #%(id)s: a line was counted, %(received)s received of %(declared)s "
        "declared, %(damaged)s damaged."
    ) % {
        "id": event.subject_id,
        "received": p.get("received", "?"),
        "declared": p.get("declared", "?"),
        "damaged": p.get("damaged", 0),
    }


def _inspection(p: Mapping[str, Any], event: Event, c: Context) -> str:
    inspection = c.subject if isinstance(c.subject, Inspection) else None
    words = {
        "product": product_title(inspection.product) if inspection else "?",
        "defects": p.get("defects", "?"),
        "sample": p.get("sample_size", "?"),
    }
    if event.kind == "inspection.rejected":
        return (
            _(
                "A lot of “%(product)s” failed inspection (%(defects)s defective in a sample of "
                "%(sample)s): it goes back to you at your cost."
            )
            % words
        )
    return (
        _(
            "A lot of “%(product)s” passed inspection (%(defects)s defective in a sample of "
            "%(sample)s)."
        )
        % words
    )


def _severity(p: Mapping[str, Any], event: Event, c: Context) -> str:
    state = c.subject if isinstance(c.subject, SamplingState) else None
    words = {
        "product": product_title(state.product) if state else "?",
        "from": choice_label(SamplingState.Severity, p.get("from")),
        "to": choice_label(SamplingState.Severity, p.get("to")),
    }
    target = p.get("to")
    if target == SamplingState.Severity.DISCONTINUED:
        return (
            _(
                "Inspection of “%(product)s” is discontinued after 5 lots not accepted on "
                "tightened inspection, until the marketplace records a corrective action."
            )
            % words
        )
    if p.get("from") == SamplingState.Severity.DISCONTINUED:
        return (
            _("Inspection of “%(product)s” restarts on tightened after a corrective action.")
            % words
        )
    if target == SamplingState.Severity.TIGHTENED:
        return (
            _(
                "Inspection of “%(product)s” is tightened: 2 of the last 5 lots or fewer were not "
                "accepted."
            )
            % words
        )
    return (
        _("Inspection of “%(product)s” is back to normal: 5 lots in a row were accepted.") % words
    )


def _consumer(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        order = c.subject if isinstance(c.subject, ConsumerOrder) else None
        return _(sentence) % {
            "order": order.external_id if order else event.subject_id,
            "quantity": p.get("quantity", order.quantity if order else "?"),
            "product": product_title(order.listing.product) if order else "?",
            "warehouse": warehouse_name(order.warehouse) if order else "?",
            "payable": money(p.get("payable", "0")),
        }

    return describe


def _overstock(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        offer = c.subject if isinstance(c.subject, OverstockOffer) else None
        position = offer.lot.position if offer else None
        return _(sentence) % {
            "quantity": p.get("quantity", "?"),
            "product": product_title(position.listing.product) if position else "?",
            "warehouse": warehouse_name(position.warehouse) if position else "?",
            "days": settings.OVERSTOCK_DAYS,
        }

    return describe


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
}

# Kinds recorded for the marketplace alone: they name no supplier, so no supplier sees them.
NOT_FOR_SUPPLIERS = frozenset({"tender.opened", "tender.closed"})

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
    if "withdrawal" in kind:
        return reverse("portal:withdrawals")
    if kind.startswith("supplier.jit_"):
        return reverse("portal:jit")
    return ""


def actor_label(event: Event) -> str:
    """Who did it, as the supplier may know it: its own people by name, the marketplace's staff
    as the marketplace."""
    actor = event.actor
    if actor is None:
        return _("System")
    if actor.is_staff or actor.is_superuser:
        return _("Marketplace team")
    return actor.get_full_name() or actor.username


@dataclass(frozen=True)
class EventLine:
    event: Event
    text: str
    reason: str
    when: str
    url: str
    topic: str
    actor: str
    status_from: str
    status_to: str
    is_new: bool


def event_lines(events: Iterable[Event], *, new_since: datetime | None = None) -> list[EventLine]:
    events = list(events)
    subjects = load_subjects(events)
    entries = describe_entries(
        [s for s in subjects.values() if isinstance(s, LedgerEntry)]  # the ledger's own words
    )
    lines = []
    for event in events:
        payload = event.payload or {}
        subject = subjects.get((event.subject_type_id or 0, event.subject_id))
        moved = event.kind == "supplier.status_changed"
        lines.append(
            EventLine(
                event=event,
                text=describe(event, Context(subject=subject, entries=entries)),
                reason=reason_text(event),
                when=local_time(event.occurred_at),
                url=link(event, subject),
                topic=topic(event.kind),
                actor=actor_label(event),
                status_from=choice_label(Supplier.Status, payload.get("from")) if moved else "",
                status_to=choice_label(Supplier.Status, payload.get("to")) if moved else "",
                is_new=new_since is None or event.occurred_at > new_since,
            )
        )
    return lines


def notifications_mark_seen(membership: Membership) -> None:
    """The member has read its notifications up to now. Presentation state of the member's own
    badge, not a business change: no event, no service."""
    now = timezone.now()
    Membership.objects.filter(pk=membership.pk).update(notifications_seen_at=now)
    membership.notifications_seen_at = now


@supplier_required
@require_GET
def notifications(request: SupplierRequest) -> HttpResponse:
    membership = request.membership
    previously_seen = membership.notifications_seen_at
    events = notifications_visible_to(request.user).select_related("actor")
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    lines = event_lines(page.object_list, new_since=previously_seen)
    notifications_mark_seen(membership)
    set_unread_count(request, 0)
    return render(
        request,
        "portal/notifications.html",
        {"page_obj": page, "lines": lines, "previously_seen": previously_seen},
    )
