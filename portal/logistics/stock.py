"""The stock in the platform's warehouses with its ageing, the payables for what sold, and the
overstock offers (take back or leave for a markdown)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from logistics.models import (
    OverstockOffer,
    StockPosition,
)
from logistics.selectors import (
    overstock_offers_visible_to,
    stock_ageing,
    stock_positions_visible_to,
)
from logistics.services.overstock import overstock_leave, overstock_take_back
from marketplace.errors import DomainError
from marketplace.paginator import KeysFirstPaginator
from orders.models import Payable
from orders.selectors import consumer_orders_visible_to, payables_visible_to

from ..access import SupplierRequest, supplier_required
from ..errors import act, show_domain_error
from .stocking import PAGE_SIZE, RECENT_CONSUMER_ORDERS, STOCK_PAGE_SIZE, _offer


@dataclass
class PositionRow:
    position: StockPosition
    age_days: int | None
    old: bool


@dataclass
class Bucket:
    label: str
    units: int
    percent: int
    old: bool


def ageing_bars(buckets: list[dict[str, int | None]]) -> list[Bucket]:
    """stock_ageing's buckets as bars, the longest one full width."""
    top = max((int(b["units"] or 0) for b in buckets), default=0)
    bars = []
    for bucket in buckets:
        units = int(bucket["units"] or 0)
        high = bucket["high"]
        label = (
            _("%(low)d-%(high)d days") % {"low": bucket["low"], "high": high}
            if high is not None
            else _("over %(low)d days") % {"low": int(bucket["low"] or 0) - 1}
        )
        bars.append(
            Bucket(
                label=label,
                units=units,
                percent=round(100 * units / top) if top else 0,
                old=high is None,
            )
        )
    return bars


def _open_payables_total(request: SupplierRequest) -> Decimal:
    total = (
        payables_visible_to(request.user)
        .filter(status=Payable.Status.OPEN)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0.00")


@supplier_required
@require_GET
def stock(request: SupplierRequest) -> HttpResponse:
    positions = stock_positions_visible_to(request.user)
    totals = positions.aggregate(
        on_hand=Coalesce(Sum("on_hand"), 0),
        available=Coalesce(Sum("available"), 0),
        sold=Coalesce(Sum("sold"), 0),
        positions=Count("id"),
    )
    totals["reserved"] = totals["on_hand"] - totals["available"]
    page = KeysFirstPaginator(
        # Read straight off the (listing, warehouse) index: a title sort would join and sort
        # every position of a large supplier on each page.
        positions.order_by("listing_id", "warehouse_id"),
        STOCK_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = []
    for position in page.object_list:
        oldest = getattr(position, "oldest_received_at", None)
        age = None if oldest is None else (now - oldest).days
        rows.append(PositionRow(position, age, age is not None and age > settings.OVERSTOCK_DAYS))
    recent = (
        consumer_orders_visible_to(request.user)
        .select_related("listing__product", "warehouse")
        .order_by("-ordered_at", "-id")[:RECENT_CONSUMER_ORDERS]
    )
    return render(
        request,
        "portal/logistics/stock.html",
        {
            "page_obj": page,
            "rows": rows,
            "totals": totals,
            "bars": ageing_bars(stock_ageing(request.membership.supplier_id, now=now)),
            "overstock_days": settings.OVERSTOCK_DAYS,
            "open_payables": _open_payables_total(request),
            "open_offers": overstock_offers_visible_to(request.user)
            .filter(status=OverstockOffer.Status.OFFERED)
            .count(),
            "recent_orders": list(recent),
        },
    )


@supplier_required
@require_GET
def payables(request: SupplierRequest) -> HttpResponse:
    found = (
        payables_visible_to(request.user)
        .select_related("order__listing__product", "order__warehouse")
        .order_by("-recorded_at", "-id")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/logistics/payables.html",
        {"page_obj": page, "open_total": _open_payables_total(request)},
    )


# --- Overstock -------------------------------------------------------------------------------


@supplier_required
@require_GET
def overstock_offers(request: SupplierRequest) -> HttpResponse:
    found = (
        overstock_offers_visible_to(request.user)
        .select_related("lot__position__warehouse")
        .annotate(
            waiting=Case(
                When(status=OverstockOffer.Status.OFFERED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-offered_at", "-id")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "portal/logistics/overstock.html",
        {
            "page_obj": page,
            "rows": [(offer, (now - offer.lot.received_at).days) for offer in page.object_list],
            "overstock_days": settings.OVERSTOCK_DAYS,
            "offered": OverstockOffer.Status.OFFERED,
        },
    )


@supplier_required
@require_POST
def overstock_take_back_view(request: SupplierRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)
    try:
        decided = overstock_take_back(offer, actor=request.user)
    except DomainError as error:
        show_domain_error(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d unit will be returned to you at your freight.",
                "%(n)d units will be returned to you at your freight.",
                decided.quantity,
            )
            % {"n": decided.quantity},
        )
    return redirect("portal:overstock_offers")


@supplier_required
@require_POST
def overstock_leave_view(request: SupplierRequest, pk: int) -> HttpResponse:
    offer = _offer(request, pk)
    act(
        request,
        lambda: overstock_leave(offer, actor=request.user),
        _("Left for a markdown; the marketplace will decide the price."),
    )
    return redirect("portal:overstock_offers")
