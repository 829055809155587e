"""One sentence per kind of event, in the reader's language, from the event's payload and
subject."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

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
from suppliers.models import LedgerEntry, Supplier

from ..wording import (
    local_time,
    money,
    penalty_case,
    product_title,
    tier_name,
    warehouse_name,
)
from .subjects import Context, choice_label

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


def _listing_gpsr_set(p: Mapping[str, Any], event: Event, c: Context) -> str:
    return _(
        "Listing %(listing)s names its manufacturer and EU responsible person (GPSR), as the EU "
        "requires."
    ) % {"listing": _listing_words(_listing_of(c))}


def _listing_restock_set(p: Mapping[str, Any], event: Event, c: Context) -> str:
    words = {
        "listing": _listing_words(_listing_of(c)),
        "pack": p.get("case_pack", "?"),
        "days": p.get("production_lead_days"),
    }
    if words["days"] is None:
        return (
            _(
                "Listing %(listing)s: %(pack)s units a case, the platform's default production "
                "lead time."
            )
            % words
        )
    return _("Listing %(listing)s: %(pack)s units a case, %(days)s days to produce.") % words


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
    if p.get("rule") == "return_rate":
        return _(
            "Listing %(listing)s paused for review: too many units came back defective or not "
            "as described. An operator decides when it goes back on sale."
        ) % {"listing": listing}
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


def _where(order: ConsumerOrder | None) -> str:
    """Where the order's units are held: a platform warehouse, or (semi-managed) the seller's
    own stock in the market."""
    if order is None:
        return "?"
    if order.warehouse_id is None:
        return _("your own stock in %(market)s") % {"market": choice_label(Market, order.market)}
    return warehouse_name(order.warehouse)


def _consumer(sentence: str) -> Describer:
    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        order = c.subject if isinstance(c.subject, ConsumerOrder) else None
        return _(sentence) % {
            "order": order.external_id if order else event.subject_id,
            "quantity": p.get("quantity", order.quantity if order else "?"),
            "product": product_title(order.listing.product) if order else "?",
            "warehouse": _where(order),
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


def _evidence(sentence: str) -> Describer:
    """A test record's or certificate's event: its standard, report or certificate number from
    the payload, the result in the reader's words."""

    def describe(p: Mapping[str, Any], event: Event, c: Context) -> str:
        return _(sentence) % {
            "standard": p.get("standard", "?"),
            "number": p.get("report_number") or p.get("number") or "?",
        }

    return describe
