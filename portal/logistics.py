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
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logistics.models import (
    INBOUND_SHIPMENT_MACHINE,
    STOCKING_ORDER_MACHINE,
    Carrier,
    InboundLine,
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupCluster,
    SamplingState,
    StockingOrder,
    StockPosition,
)
from logistics.selectors import (
    lot_record,
    overstock_offers_visible_to,
    pickup_cluster_of,
    shipments_visible_to,
    stock_ageing,
    stock_positions_visible_to,
    stocking_orders_visible_to,
)
from logistics.services.inbound.common import MAX_UNITS
from logistics.services.inbound.notices import LineIn, inbound_create
from logistics.services.inbound.receiving import shipment_discrepancies
from logistics.services.inbound.shipments import inbound_book, inbound_cancel
from logistics.services.inbound.stocking import stocking_order_accept, stocking_order_decline
from logistics.services.overstock import overstock_leave, overstock_take_back
from marketplace.errors import DomainError
from marketplace.paginator import KeysFirstPaginator
from orders.models import Payable
from orders.selectors import consumer_orders_visible_to, payables_visible_to

from .access import SupplierRequest, supplier_required
from .errors import act, show_domain_error
from .forms import error_summary
from .orders import countdown_text

SO = StockingOrder.Status
IS = InboundShipment.Status
PAGE_SIZE = 25
STOCK_PAGE_SIZE = 100
RECENT_CONSUMER_ORDERS = 10
# An open stocking order is highlighted this long before it lapses.
EXPIRY_WARNING = timedelta(days=2)


# --- Forms -----------------------------------------------------------------------------------


class StockingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *SO.choices],
    )


class ShipmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *IS.choices],
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you decline?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(forms.Form):
    # Not required here: the service says a cancellation needs a reason, on this field.
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel the shipment?"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 40}),
    )


class SendForm(forms.Form):
    """The inbound shipment notice for an accepted stocking order (its one listing)."""

    CARRIER = "carrier"
    PICKUP = "pickup"

    declared = forms.IntegerField(
        label=gettext_lazy("Units in this shipment"), min_value=1, max_value=MAX_UNITS
    )
    method = forms.ChoiceField(
        label=gettext_lazy("How the goods travel"),
        widget=forms.RadioSelect,
        initial=CARRIER,
    )
    carrier = forms.ChoiceField(
        label=gettext_lazy("Carrier"),
        required=False,
        choices=[("", gettext_lazy("Choose the carrier")), *Carrier.choices],
    )
    waybill = forms.CharField(label=gettext_lazy("Waybill"), max_length=40, required=False)

    def __init__(
        self, *args: Any, order: StockingOrder, cluster: PickupCluster | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declared"].initial = order.quantity
        self.fields["declared"].help_text = _("The stocking order asks for %(n)d units.") % {
            "n": order.quantity
        }
        self.fields["waybill"].widget.attrs.update(
            {"placeholder": "SF1234567890", "autocomplete": "off", "spellcheck": "false"}
        )
        choices: list[tuple[str, str]] = [(self.CARRIER, _("By a carrier I book"))]
        if cluster is not None:
            choices.append(
                (
                    self.PICKUP,
                    _("Request a circular pickup (%(cluster)s)") % {"cluster": cluster.name},
                )
            )
        cast(forms.ChoiceField, self.fields["method"]).choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("method") == self.CARRIER:
            # The portal has no later door to add a waybill: a carrier notice needs both now.
            if not cleaned.get("carrier"):
                self.add_error("carrier", _("Choose the carrier, or ask for a pickup."))
            if not (cleaned.get("waybill") or "").strip():
                self.add_error("waybill", _("Enter the carrier's waybill, or ask for a pickup."))
        return cleaned


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


# --- Inbound shipments -----------------------------------------------------------------------


def may_book(shipment: InboundShipment) -> bool:
    # A pickup is booked by the operators when they put it on a slot.
    return (
        INBOUND_SHIPMENT_MACHINE.allows(shipment.status, IS.BOOKED)
        and not shipment.pickup_requested
    )


def may_cancel(shipment: InboundShipment) -> bool:
    return INBOUND_SHIPMENT_MACHINE.allows(shipment.status, IS.CANCELLED)


@supplier_required
@require_GET
def shipments(request: SupplierRequest) -> HttpResponse:
    form = ShipmentFilterForm(request.GET)
    form.is_valid()
    status = getattr(form, "cleaned_data", {}).get("status")
    found = _shipments(request).select_related("stocking_order__listing__product")
    if status:
        found = found.filter(status=status)
    found = found.annotate(
        declared=Coalesce(Sum("lines__declared"), 0),
        received=Sum("lines__received"),
        damaged=Coalesce(Sum("lines__damaged"), 0),
        uncounted=Count("lines", filter=Q(lines__received__isnull=True)),
        rejected=Count("lines", filter=Q(lines__inspection__result=Inspection.Result.REJECTED)),
    ).order_by("-created_at", "-id")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/logistics/shipments.html",
        {
            "form": form,
            "filtered": bool(status),
            "page_obj": page,
            "lots": lot_record(request.membership.supplier_id),
        },
    )


@dataclass
class LineRow:
    line: InboundLine
    inspection: Inspection | None
    severity: str
    over: int
    short: int
    flagged: bool
    rejected: bool


SEVERITY_LABELS = dict(SamplingState.Severity.choices)


def _shipment_page(
    request: SupplierRequest, shipment: InboundShipment, cancel_form: CancelForm | None = None
) -> HttpResponse:
    # The service says which counted lines the supplier must see as discrepancies.
    flagged = {item["line"].pk for item in shipment_discrepancies(shipment)}
    rows = []
    for line in shipment.lines.all():
        inspection: Inspection | None = getattr(line, "inspection", None)
        difference = line.discrepancy or 0
        rows.append(
            LineRow(
                line=line,
                inspection=inspection,
                severity=str(SEVERITY_LABELS.get(inspection.severity, inspection.severity))
                if inspection
                else "",
                over=max(difference, 0),
                short=max(-difference, 0),
                flagged=line.pk in flagged,
                rejected=inspection is not None and inspection.result == Inspection.Result.REJECTED,
            )
        )
    return render(
        request,
        "portal/logistics/shipment_detail.html",
        {
            "shipment": shipment,
            "order": shipment.stocking_order,
            "rows": rows,
            "inspected": [row for row in rows if row.inspection is not None],
            "may_book": may_book(shipment),
            "may_cancel": may_cancel(shipment),
            "cancel_form": cancel_form or CancelForm(),
        },
    )


@supplier_required
@require_GET
def shipment_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    return _shipment_page(request, _shipment(request, pk))


@supplier_required
@require_POST
def shipment_book(request: SupplierRequest, pk: int) -> HttpResponse:
    shipment = _shipment(request, pk)
    act(request, lambda: inbound_book(shipment, actor=request.user), _("Shipment booked."))
    return redirect("portal:shipment_detail", pk=shipment.pk)


@supplier_required
@require_POST
def shipment_cancel(request: SupplierRequest, pk: int) -> HttpResponse:
    shipment = _shipment(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            inbound_cancel(shipment, actor=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Shipment cancelled."))
            return redirect("portal:shipment_detail", pk=shipment.pk)
    return _shipment_page(request, _shipment(request, pk), cancel_form=form)


# --- Stock -----------------------------------------------------------------------------------


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
