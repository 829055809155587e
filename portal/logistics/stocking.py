"""Consignment inventory in the portal: the platform's stocking orders (accept, decline, answer
with an inbound shipment by carrier or circular pickup), the shipments with their receiving
discrepancies and lot inspections, the stock in the platform's warehouses with its ageing, the
payables for what sold and the overstock offers.

Every row is fetched through the logistics and orders selectors, so another supplier's id is a
404 and absent from every list; every change goes through a service in logistics.services. Any
member (owner or staff) may act: the services decide who may do what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.models import (
    STOCKING_ORDER_MACHINE,
    InboundLine,
    InboundShipment,
    OverstockOffer,
    StockingOrder,
)
from logistics.selectors import (
    overstock_offers_visible_to,
    pickup_cluster_of,
    shipments_visible_to,
    stocking_orders_visible_to,
)
from logistics.services.inbound.notices import LineIn, inbound_create
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_decline
from marketplace.errors import DomainError

from ..access import SupplierRequest, supplier_required
from ..errors import act, error_summary, show_domain_error
from ..orders.views import countdown_text
from .forms import DeclineForm, SendForm, StockingFilterForm

SO = StockingOrder.Status
IS = InboundShipment.Status
PAGE_SIZE = 25
STOCK_PAGE_SIZE = 100
RECENT_CONSUMER_ORDERS = 10
# An open stocking order is highlighted this long before it lapses.
EXPIRY_WARNING = timedelta(days=2)


def _place_line_errors(error: DomainError) -> DomainError:
    """The service names a line's fields `lines[0].declared`; the form has one line."""
    error.fields = {
        ("declared" if name.startswith("lines[") and name.endswith(".declared") else name): texts
        for name, texts in error.fields.items()
    }
    return error


# --- Scoped fetches --------------------------------------------------------------------------


def _stocking_orders(request: SupplierRequest) -> QuerySet[StockingOrder]:
    return stocking_orders_visible_to(request.user)


def _stocking_order(request: SupplierRequest, pk: int) -> StockingOrder:
    return get_object_or_404(_stocking_orders(request), pk=pk)


def _shipments(request: SupplierRequest) -> QuerySet[InboundShipment]:
    return shipments_visible_to(request.user)


def _shipment(request: SupplierRequest, pk: int) -> InboundShipment:
    lines = InboundLine.objects.select_related("listing__product", "inspection").order_by("id")
    return get_object_or_404(
        _shipments(request)
        .select_related("stocking_order__listing__product")
        .prefetch_related(Prefetch("lines", queryset=lines)),
        pk=pk,
    )


def _offer(request: SupplierRequest, pk: int) -> OverstockOffer:
    return get_object_or_404(overstock_offers_visible_to(request.user), pk=pk)


# --- Stocking orders -------------------------------------------------------------------------


def is_open(order: StockingOrder) -> bool:
    return order.status in StockingOrder.OPEN


def may_accept(order: StockingOrder) -> bool:
    return STOCKING_ORDER_MACHINE.allows(order.status, SO.ACCEPTED)


def may_decline(order: StockingOrder) -> bool:
    return STOCKING_ORDER_MACHINE.allows(order.status, SO.DECLINED)


def may_send(order: StockingOrder) -> bool:
    # inbound_create answers an accepted order only.
    return order.status == SO.ACCEPTED


@dataclass
class ExpiryRow:
    order: StockingOrder
    open: bool
    risk_at: datetime
    expiring: bool
    expired: bool
    left: str


def expiry_row(order: StockingOrder, now: datetime) -> ExpiryRow:
    open_ = is_open(order)
    risk_at = order.expires_at - EXPIRY_WARNING
    return ExpiryRow(
        order=order,
        open=open_,
        risk_at=risk_at,
        expiring=open_ and risk_at <= now < order.expires_at,
        expired=open_ and now >= order.expires_at,
        left=countdown_text((order.expires_at - now).total_seconds(), _("expired"))
        if open_
        else "",
    )


@supplier_required
@require_GET
def stocking_orders(request: SupplierRequest) -> HttpResponse:
    form = StockingFilterForm(request.GET)
    form.is_valid()
    status = getattr(form, "cleaned_data", {}).get("status")
    found = _stocking_orders(request)
    if status:
        found = found.filter(status=status)
    open_filter = Q(status__in=StockingOrder.OPEN)
    # Open orders first, the soonest to lapse on top; then the rest, newest first.
    found = found.annotate(
        closed_rank=Case(When(open_filter, then=Value(0)), default=Value(1)),
    ).order_by(
        "closed_rank",
        Case(When(open_filter, then="expires_at")).asc(nulls_last=True),
        "-issued_at",
        "-id",
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "portal/logistics/stocking_orders.html",
        {
            "form": form,
            "filtered": bool(status),
            "page_obj": page,
            "rows": [expiry_row(order, now) for order in page.object_list],
            "warning_hours": int(EXPIRY_WARNING.total_seconds() // 3600),
            "normal_days": settings.STOCKING_ORDER_DAYS,
            "urgent_days": settings.STOCKING_ORDER_URGENT_DAYS,
        },
    )


def _stocking_order_page(
    request: SupplierRequest,
    order: StockingOrder,
    decline_form: DeclineForm | None = None,
) -> HttpResponse:
    if decline_form is None and may_decline(order):
        decline_form = DeclineForm()
    shipments = list(
        _shipments(request)
        .filter(stocking_order=order)
        .annotate(units=Coalesce(Sum("lines__declared"), 0))
        .order_by("-created_at", "-id")
    )
    return render(
        request,
        "portal/logistics/stocking_order_detail.html",
        {
            "order": order,
            "row": expiry_row(order, timezone.now()),
            "may_accept": may_accept(order),
            "may_send": may_send(order),
            "decline_form": decline_form if may_decline(order) else None,
            "errors": error_summary(decline_form) if may_decline(order) else [],
            "shipments": shipments,
        },
    )


@supplier_required
@require_GET
def stocking_order_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    return _stocking_order_page(request, _stocking_order(request, pk))


@supplier_required
@require_POST
def stocking_order_accept_view(request: SupplierRequest, pk: int) -> HttpResponse:
    order = _stocking_order(request, pk)
    act(
        request,
        lambda: stocking_order_accept(order, actor=request.user),
        _("Stocking order accepted. Send the goods before it expires."),
    )
    return redirect("portal:stocking_order_detail", pk=order.pk)


@supplier_required
@require_POST
def stocking_order_decline_view(request: SupplierRequest, pk: int) -> HttpResponse:
    order = _stocking_order(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            stocking_order_decline(order, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.info(request, _("Stocking order declined."))
            return redirect("portal:stocking_order_detail", pk=order.pk)
    return _stocking_order_page(request, _stocking_order(request, pk), decline_form=form)


@supplier_required
@require_http_methods(["GET", "POST"])
def stocking_order_send(request: SupplierRequest, pk: int) -> HttpResponse:
    order = _stocking_order(request, pk)
    if not may_send(order):
        messages.error(request, _("Accept the stocking order first."))
        return redirect("portal:stocking_order_detail", pk=order.pk)
    cluster = pickup_cluster_of(order.supplier_id)
    if request.method == "POST":
        form = SendForm(request.POST, order=order, cluster=cluster)
        if form.is_valid():
            data = form.cleaned_data
            pickup = data["method"] == SendForm.PICKUP
            try:
                shipment = inbound_create(
                    order,
                    actor=request.user,
                    lines=[LineIn(order.listing_id, data["declared"])],
                    carrier="" if pickup else data["carrier"],
                    waybill="" if pickup else data["waybill"],
                    pickup=pickup,
                )
            except DomainError as error:
                show_domain_error(request, _place_line_errors(error), form)
            else:
                messages.success(
                    request,
                    _(
                        "Shipment notice created. The operators will schedule your pickup; "
                        "you will see the slot here."
                    )
                    if pickup
                    else _("Shipment notice created. Book it when the goods leave your factory."),
                )
                return redirect("portal:shipment_detail", pk=shipment.pk)
    else:
        form = SendForm(order=order, cluster=cluster)
    earlier = list(
        _shipments(request)
        .filter(stocking_order=order)
        .exclude(status=IS.CANCELLED)
        .annotate(units=Coalesce(Sum("lines__declared"), 0))
        .order_by("created_at", "id")
    )
    return render(
        request,
        "portal/logistics/send.html",
        {
            "order": order,
            "form": form,
            "errors": error_summary(form),
            "cluster": cluster,
            "earlier": earlier,
        },
    )
