"""with their waybills, a printable packing list, every order with its timeline, a stockout
declaration, and the penalties with their evidence and appeals.

Every order, penalty, photo and attachment is fetched within the member's supplier, so another
supplier's id is a 404; every change goes through a service in orders.services.orders."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.errors import DomainError
from marketplace.files import private_file
from orders.models import InspectionPhoto, JitOrder, Penalty
from orders.rules import Rules, rules
from orders.selectors import orders_visible_to, penalties_visible_to
from orders.services.orders import order_declare_stockout, orders_ship_many

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error
from ..wording import jit_carrier_name, jit_warehouse_name
from .forms import OrderFilterForm, StockoutForm

Status = JitOrder.Status
PAGE_SIZE = 25
# The to-ship queue is worked through in one go: a longer page than the other lists.
TO_SHIP_PAGE_SIZE = 100
# One packing list holds at most this many orders (a page of the queue and then some).
PACKING_LIST_MAX = 200


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)


def countdown_text(seconds: float, late_label: str) -> str:
    """What the countdown shows before JavaScript takes over, in the same form it ticks in:
    "1 d 05:04:03", or the late label and the time since the deadline."""
    late = seconds < 0
    left = int(abs(seconds))
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if days:
        text = _("%(days)d d") % {"days": days} + " " + text
    return f"{late_label} {text}" if late else text


# --- Scoped fetches --------------------------------------------------------------------------


def _orders(request: SupplierRequest) -> QuerySet[JitOrder]:
    # A member's own supplier's orders (the selector the API uses too).
    return orders_visible_to(request.user)


def _order(request: SupplierRequest, pk: int) -> JitOrder:
    return get_object_or_404(_orders(request).select_related("listing__product"), pk=pk)


def _penalties(request: SupplierRequest) -> QuerySet[Penalty]:
    return penalties_visible_to(request.user)


def _ids(values: Iterable[str]) -> list[int]:
    """Order ids from a form or a query string ("1,2" or repeated); anything else is a 404."""
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise Http404
            if int(part) not in ids:
                ids.append(int(part))
    return ids


def _orders_by_id(request: SupplierRequest, ids: list[int]) -> dict[int, JitOrder]:
    """The supplier's orders with these ids; one that is not the supplier's is a 404."""
    found = {
        o.pk: o for o in _orders(request).filter(pk__in=ids).select_related("listing__product")
    }
    if len(found) != len(ids):
        raise Http404
    return found


# --- To ship -----------------------------------------------------------------------------------


@dataclass
class ToShipRow:
    order: JitOrder
    deadline: datetime  # 24 h: late after it
    late_deadline: datetime  # 48 h: 5 x goods value after it
    risk_at: datetime  # the first reminder: highlighted from then
    at_risk: bool
    late: bool
    left: str
    left_48h: str
    checked: bool
    waybill: str
    error: str


def _to_ship_rows(
    orders: Iterable[JitOrder],
    r: Rules,
    now: datetime,
    *,
    checked: set[int],
    waybills: dict[int, str],
    errors: dict[int, str],
) -> list[ToShipRow]:
    late_label = _("late by")
    rows = []
    for order in orders:
        deadline, late_deadline = order.deadline_24h, order.deadline_48h
        risk_at = order.ordered_at + r.reminders[0]
        rows.append(
            ToShipRow(
                order=order,
                deadline=deadline,
                late_deadline=late_deadline,
                risk_at=risk_at,
                at_risk=risk_at <= now < deadline,
                late=now >= deadline,
                left=countdown_text((deadline - now).total_seconds(), late_label),
                left_48h=countdown_text((late_deadline - now).total_seconds(), late_label),
                checked=order.pk in checked,
                waybill=waybills.get(order.pk, ""),
                error=errors.get(order.pk, ""),
            )
        )
    return rows


def _to_ship_page(
    request: SupplierRequest,
    *,
    checked: set[int] | None = None,
    waybills: dict[int, str] | None = None,
    errors: dict[int, str] | None = None,
) -> HttpResponse:
    r = rules()
    now = timezone.now()
    queue = (
        _orders(request)
        .filter(status=Status.AWAITING_SHIPMENT)
        .select_related("listing__product")
        .order_by("ordered_at", "id")  # the deadline is a fixed time after the order
    )
    page = Paginator(queue, TO_SHIP_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _to_ship_rows(
        page.object_list,
        r,
        now,
        checked=checked or set(),
        waybills=waybills or {},
        errors=errors or {},
    )
    shipped = _ids([request.GET.get("shipped", "")]) if request.method == "GET" else []
    return render(
        request,
        "portal/orders/to_ship.html",
        {
            "page_obj": page,
            "rows": rows,
            "carrier": jit_carrier_name(),
            "warehouse": jit_warehouse_name(),
            "rules": r,
            "ship_within_hours": int(r.ship_within.total_seconds() // 3600),
            "late_after_hours": int(r.late_after.total_seconds() // 3600),
            "risk_hours": int(r.reminders[0].total_seconds() // 3600),
            "packing_ids": ",".join(str(row.order.pk) for row in rows),
            "shipped_ids": ",".join(str(pk) for pk in shipped),
            "shipped_count": len(shipped),
            # Each wrong waybill is said beside it; the box at the top links to them.
            "errors": [
                (str(_("Order %(id)s") % {"id": pk}), f"waybill_{pk}", text)
                for pk, text in (errors or {}).items()
            ],
            "error_heading": _("Nothing was shipped: correct the waybills below."),
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def orders_to_ship(request: SupplierRequest) -> HttpResponse:
    if request.method != "POST":
        return _to_ship_page(request)
    ids = _ids(request.POST.getlist("ids"))
    waybills = {
        int(key.removeprefix("waybill_")): request.POST.get(key, "").strip()
        for key in request.POST
        if key.startswith("waybill_") and key.removeprefix("waybill_").isdigit()
    }
    if not ids:
        messages.error(request, _("Tick the orders to ship."))
        return _to_ship_page(request, waybills=waybills)
    orders = _orders_by_id(request, ids)
    errors: dict[int, str] = {}
    seen: dict[str, int] = {}
    for pk in ids:
        waybill = waybills.get(pk, "")
        if not waybill:
            errors[pk] = _("Enter the SF Express waybill of this parcel.")
        elif waybill.upper() in seen:
            # One waybill each: the carrier's first scan finds the order by its waybill.
            errors[pk] = _("%(waybill)s is already the waybill of order %(other)d.") % {
                "waybill": waybill,
                "other": seen[waybill.upper()],
            }
        else:
            seen[waybill.upper()] = pk
    if not errors:
        try:
            shipped = orders_ship_many(
                [(orders[pk], waybills[pk]) for pk in ids], actor=request.user
            )
        except DomainError as error:
            errors = {
                int(name.removeprefix("waybill_")): " ".join(texts)
                for name, texts in error.fields.items()
                if name.removeprefix("waybill_").isdigit()
            }
            if not errors:
                show_domain_error(request, error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)d order shipped by SF Express to %(warehouse)s.",
                    "%(n)d orders shipped by SF Express to %(warehouse)s.",
                    len(shipped),
                )
                % {"n": len(shipped), "warehouse": jit_warehouse_name()},
            )
            return redirect(
                reverse("portal:orders_to_ship") + "?shipped=" + ",".join(str(pk) for pk in ids)
            )
    return _to_ship_page(request, checked=set(ids), waybills=waybills, errors=errors)


@supplier_required
@require_GET
def orders_packing_list(request: SupplierRequest) -> HttpResponse:
    ids = _ids(request.GET.getlist("ids"))
    if not ids:
        messages.error(request, _("Choose the orders for the packing list."))
        return redirect("portal:orders_to_ship")
    if len(ids) > PACKING_LIST_MAX:
        messages.error(
            request,
            _("A packing list holds at most %(count)d orders.") % {"count": PACKING_LIST_MAX},
        )
        return redirect("portal:orders_to_ship")
    found = _orders_by_id(request, ids)
    orders = [found[pk] for pk in ids]
    return render(
        request,
        "portal/orders/packing_list.html",
        {
            "rows": [(order, order.deadline_24h) for order in orders],
            "supplier": request.membership.supplier,
            "carrier": jit_carrier_name(),
            "warehouse": jit_warehouse_name(),
            "units": sum(order.quantity for order in orders),
            "printed_at": timezone.now(),
        },
    )


# --- All orders --------------------------------------------------------------------------------


def _day_start(day: date) -> datetime:
    """Midnight of `day` in China time: the portal's dates are the supplier's days."""
    return datetime.combine(day, time.min, tzinfo=_zone())


@supplier_required
@require_GET
def orders(request: SupplierRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    found = _orders(request).select_related("listing__product")
    if data.get("status"):
        found = found.filter(status=data["status"])
    if data.get("date_from"):
        found = found.filter(ordered_at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        found = found.filter(ordered_at__lt=_day_start(data["date_to"] + timedelta(days=1)))
    page = Paginator(found.order_by("-ordered_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/orders/orders.html",
        {
            "form": form,
            "page_obj": page,
            "rows": [(order, order.deadline_24h) for order in page.object_list],
            "filtered": any(data.get(name) for name in ("status", "date_from", "date_to")),
        },
    )


@dataclass
class Step:
    label: str
    at: datetime | None
    detail: str = ""


def timeline(order: JitOrder) -> list[Step]:
    """What happened to the order, in the order it happens; a step not reached has no time."""
    steps = [
        Step(str(_("Ordered")), order.ordered_at),
        Step(
            str(_("Shipped (recorded by you)")),
            order.shipment_recorded_at,
            _("Waybill %(waybill)s") % {"waybill": order.waybill} if order.waybill else "",
        ),
        Step(str(_("Carrier's first scan (the official time of shipment)")), order.first_scan_at),
        Step(
            str(_("Received at the JIT warehouse")),
            order.received_at,
            _("%(n)d units counted") % {"n": order.received_quantity}
            if order.received_quantity is not None
            else "",
        ),
        Step(
            str(_("Inspected")),
            order.inspected_at,
            str(order.get_status_display())
            if order.status in (Status.ACCEPTED, Status.REJECTED_QUALITY)
            else "",
        ),
    ]
    if order.stockout_declared_at:
        steps.append(
            Step(str(_("Stockout declared")), order.stockout_declared_at, order.stockout_reason)
        )
    elif order.status == Status.FAILED_STOCKOUT:
        r = rules()
        steps.append(
            Step(
                str(
                    _("Not shipped within %(hours)d h of the order: a stockout")
                    % {"hours": int(r.stockout_after.total_seconds() // 3600)}
                ),
                order.ordered_at + r.stockout_after,
            )
        )
    if order.cancelled_at:
        steps.append(Step(str(_("Cancelled by the consumer")), order.cancelled_at))
    return steps


def _order_page(
    request: SupplierRequest, order: JitOrder, stockout_form: StockoutForm | None = None
) -> HttpResponse:
    if stockout_form is None and order.status == Status.AWAITING_SHIPMENT:
        stockout_form = StockoutForm()
    penalties = list(order.penalties.order_by("assessed_at", "id"))
    return render(
        request,
        "portal/orders/order_detail.html",
        {
            "order": order,
            "deadline": order.deadline_24h,
            "late_deadline": order.deadline_48h,
            "timeline": timeline(order),
            "penalties": penalties,
            "photos": list(order.inspection_photos.all()),
            "stockout_form": stockout_form,
            "errors": error_summary(stockout_form),
            "carrier": jit_carrier_name(),
            "warehouse": jit_warehouse_name(),
        },
    )


@supplier_required
@require_GET
def order_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order(request, pk))


@supplier_required
@require_POST
def order_stockout(request: SupplierRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    form = StockoutForm(request.POST)
    if form.is_valid():
        try:
            order_declare_stockout(order, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.warning(
                request, _("Stockout declared. The order is closed and will be penalised.")
            )
            return redirect("portal:order_detail", pk=order.pk)
    return _order_page(request, order, stockout_form=form)


@supplier_required
@require_GET
def order_photo(request: SupplierRequest, pk: int, photo_pk: int) -> FileResponse:
    """A photo the JIT warehouse took of the defects (media is not served publicly)."""
    photo = get_object_or_404(
        InspectionPhoto, pk=photo_pk, order__in=_orders(request).filter(pk=pk)
    )
    return private_file(photo.image)
