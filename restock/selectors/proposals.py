"""Reads of restock proposals that carry a rule: which proposals a caller may see (every door
fetches through `proposals_visible_to`, so a supplier never reaches another supplier's), the room
left under the listing's stocking cap, the warehouse a proposal's stocking order goes to, the
arithmetic of a proposal in words, and the recent demand a proposal's chart draws."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing
from logistics.models import StockingOrder, Warehouse
from logistics.services.inbound.stocking import listing_stocking_cap
from marketplace.formatting import suppliers_today
from suppliers.selectors import supplier_id_for

from ..methods import METHOD_LABELS
from ..models import DemandPattern, DemandSignal, Forecast, RestockProposal

VIEW_PERMISSION = "restock.view_restockproposal"
CHANGE_PERMISSION = "restock.change_restockproposal"


def proposals_visible_to(user: User) -> QuerySet[RestockProposal]:
    """A supplier user sees its own supplier's proposals; staff who may view proposals all of
    them; integrators none (restocking is between the platform and the supplier)."""
    queryset = RestockProposal.objects.select_related("listing__product", "supplier")
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return queryset.filter(supplier_id=supplier_id)
    if not hasattr(user, "api_client") and user.has_perm(VIEW_PERMISSION):
        return queryset
    return queryset.none()


def open_first(queryset: QuerySet[RestockProposal]) -> QuerySet[RestockProposal]:
    """Open proposals first, urgent ones first among them, then the newest."""
    return queryset.order_by(F("decided_at").desc(nulls_first=True), "-urgent", "-proposed_at")


def open_stocking_units(listing_id: int) -> int:
    """Units of the listing's open stocking orders (issued or accepted), which count against its
    stocking cap."""
    return (
        StockingOrder.objects.filter(
            listing_id=listing_id, status__in=StockingOrder.OPEN
        ).aggregate(n=Sum("quantity"))["n"]
        or 0
    )


def room_under_cap(listing: Listing) -> int | None:
    """How many more units the listing may be asked for now: its stocking cap minus its open
    stocking orders' units, as the stocking-order service counts it; None when uncapped."""
    cap = listing_stocking_cap(listing)
    if cap is None:
        return None
    return max(cap - open_stocking_units(listing.pk), 0)


def default_hub(listing: Listing) -> Warehouse | None:
    """Where a proposal's stocking order goes: the active platform hub the listing's latest
    stocking order went to, or else the first active hub (the one the admin's hub list and the
    demo put first). None when there is no active hub."""
    hubs = Warehouse.objects.filter(is_active=True, kind=Warehouse.Kind.HUB)
    last = (
        StockingOrder.objects.filter(listing_id=listing.pk, warehouse__in=hubs)
        .order_by("-issued_at", "-pk")
        .values_list("warehouse_id", flat=True)
        .first()
    )
    if last is not None:
        return hubs.get(pk=last)
    return hubs.order_by("pk").first()


def ship_by_window(proposal: RestockProposal, today: date | None = None) -> tuple[date, date]:
    """The ship dates a supplier may choose when it confirms: from its today (China's date) to
    the last day of the stocking order it would issue (7 days for an urgent one, else 14)."""
    from django.conf import settings

    today = today or suppliers_today()
    days = settings.STOCKING_ORDER_URGENT_DAYS if proposal.urgent else settings.STOCKING_ORDER_DAYS
    return today, today + timedelta(days=days)


# --- The arithmetic in words -------------------------------------------------------------------


def method_label(method: str) -> str:
    """A forecasting method's name for people, in the active language (the stored codes, such
    as "SeasESOpt", are the forecasting module's; an unknown code is shown as it is)."""
    label = METHOD_LABELS.get(method)
    return str(label) if label is not None else method


def number(value: Decimal | int | float | None) -> str:
    """A figure of the arithmetic: at most two decimals, no trailing zeros (2.4, 43.2, 12)."""
    if value is None:
        return "—"
    rounded = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def units(value: Decimal | int | float | None) -> str:
    """A quantity of units in the arithmetic: at most one decimal, no trailing zeros (144.2,
    96, 0.5); a fraction of a unit finer than that means nothing to anyone stocking boxes."""
    if value is None:
        return "—"
    return number(_tenths(value))


def _tenths(value: Decimal | int | float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Arithmetic:
    """Every term of a proposal's arithmetic, and the quantity each step gives."""

    method: str
    pattern: str
    mean_daily: Decimal
    lead_days: int
    confirm_days: int
    production_days: int
    transit_days: int
    receiving_days: int
    demand_over_lead: Decimal
    safety_stock: Decimal
    service_level: Decimal
    available: int
    inbound: int
    open_orders: int
    open_proposals: int
    need: Decimal
    case_pack: int
    cases: int
    rounded: int
    cap: int | None
    quantity: int

    @property
    def level_percent(self) -> str:
        """The service level as a percentage without needless decimals: "95%", "97.5%"."""
        return f"{number(self.service_level * 100)}%"

    def shown_need(self) -> Decimal:
        """The need as the arithmetic shows it: the shown (one-decimal) demand and safety stock
        less the whole units, so the figures on the page add up."""
        return (
            _tenths(self.demand_over_lead)
            + _tenths(self.safety_stock)
            - self.available
            - self.inbound
            - self.open_orders
            - self.open_proposals
        )

    def sentence(self) -> str:
        """The arithmetic in words, in the active language, its steps joined by semicolons."""
        return "; ".join(self.lines())

    def lines(self) -> list[str]:
        """The arithmetic's steps in words, in the active language, one a line."""
        words: dict[str, Any] = {
            "rate": number(self.mean_daily),
            "method": self.method,
            "pattern": self.pattern,
            "days": self.lead_days,
            "confirm": self.confirm_days,
            "production": self.production_days,
            "transit": self.transit_days,
            "receiving": self.receiving_days,
            "lead": units(self.demand_over_lead),
            "safety": units(self.safety_stock),
            "level": number(self.service_level * 100),
            "available": self.available,
            "inbound": self.inbound,
            "orders": self.open_orders,
            "need": units(self.shown_need()),
            "pack": self.case_pack,
            "rounded": self.rounded,
        }
        forecast = (
            _("Forecast: %(rate)s units a day (%(method)s, %(pattern)s)") % words
            if self.pattern
            else _("Forecast: %(rate)s units a day (%(method)s)") % words
        )
        parts = [
            forecast
            + " \u00d7 "
            + _(
                "%(days)s days (%(confirm)s to confirm + %(production)s production + "
                "%(transit)s transit + %(receiving)s receiving) = %(lead)s"
            )
            % words,
            _(
                "+ safety stock %(safety)s (%(level)s%% service level, from the backtest's "
                "errors over the lead time)"
            )
            % words,
        ]
        minus = (
            _("- available %(available)s - inbound %(inbound)s - open stocking orders %(orders)s")
            % words
        )
        if self.open_proposals:
            minus += " " + _("- other open proposals %(n)s") % {"n": self.open_proposals}
        parts.append(minus + " " + _("= need %(need)s") % words)
        if self.case_pack > 1:
            parts.append(_("rounded up to cases of %(pack)s = %(rounded)s") % words)
        else:
            parts.append(_("rounded up = %(rounded)s") % words)
        if self.cap is not None and self.quantity < self.rounded:
            capped = {"cap": self.cap, "orders": self.open_orders, "quantity": self.quantity}
            if self.open_orders:
                text = _(
                    "stocking cap %(cap)s less %(orders)s already ordered, in whole cases "
                    "→ %(quantity)s"
                )
            elif self.quantity != self.cap:
                text = _("stocking cap %(cap)s, in whole cases → %(quantity)s")
            else:
                text = _("stocking cap %(cap)s → %(quantity)s")
            parts.append(text % capped)
        return parts


def arithmetic_of(proposal: RestockProposal, forecast: Forecast | None = None) -> Arithmetic:
    """A proposal's stored terms, with the steps between them (the rounding to the case pack and
    the cap) worked out again from those terms."""
    pack = max(proposal.case_pack, 1)
    need = proposal.need
    cases = max(math.ceil(need / pack), 0) if need > 0 else 0
    pattern = ""
    if forecast is not None and forecast.pattern in DemandPattern.values:
        pattern = str(
            {
                DemandPattern.SMOOTH: _("smooth demand"),
                DemandPattern.ERRATIC: _("erratic demand"),
                DemandPattern.INTERMITTENT: _("intermittent demand"),
                DemandPattern.LUMPY: _("lumpy demand"),
                DemandPattern.NONE: _("no demand"),
            }[DemandPattern(forecast.pattern)]
        )
    return Arithmetic(
        method=method_label(proposal.method),
        pattern=pattern,
        mean_daily=proposal.mean_daily,
        lead_days=proposal.confirm_days
        + proposal.production_days
        + proposal.transit_days
        + proposal.receiving_days,
        confirm_days=proposal.confirm_days,
        production_days=proposal.production_days,
        transit_days=proposal.transit_days,
        receiving_days=proposal.receiving_days,
        demand_over_lead=proposal.demand_over_lead,
        safety_stock=proposal.safety_stock,
        service_level=proposal.service_level,
        available=proposal.available,
        inbound=proposal.inbound,
        open_orders=proposal.open_orders,
        open_proposals=proposal.open_proposals,
        need=need,
        case_pack=pack,
        cases=cases,
        rounded=cases * pack,
        cap=proposal.cap,
        quantity=proposal.quantity,
    )


# --- The chart's figures ----------------------------------------------------------------------

CHART_DAYS = 56


def daily_demand(listing_id: int, *, end_day: date, days: int = CHART_DAYS) -> list[int]:
    """The listing's demand on each of the `days` days ending at `end_day` (zeros where no
    signal): each market's larger of the storefront's and the platform's units, summed."""
    first = end_day - timedelta(days=days - 1)
    rows = (
        DemandSignal.objects.filter(listing_id=listing_id, day__gte=first, day__lte=end_day)
        .values("day")
        .annotate(units=Sum(Greatest("units_ordered", "platform_units")))
    )
    found = {row["day"]: int(row["units"] or 0) for row in rows}
    return [found.get(first + timedelta(days=i), 0) for i in range(days)]
