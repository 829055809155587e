"""Inbound shipments in the portal: the list, each with its receiving discrepancies and lot
inspections, booking a pickup and cancelling."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from logistics.models import (
    INBOUND_SHIPMENT_MACHINE,
    InboundLine,
    InboundShipment,
    Inspection,
    SamplingState,
)
from logistics.selectors import (
    lot_record,
)
from logistics.services.inbound.receiving import shipment_discrepancies
from logistics.services.inbound.shipments import inbound_book, inbound_cancel
from marketplace.errors import DomainError

from ..access import SupplierRequest, supplier_required
from ..errors import act, show_domain_error
from .forms import CancelForm, ShipmentFilterForm
from .stocking import IS, PAGE_SIZE, _shipment, _shipments


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
