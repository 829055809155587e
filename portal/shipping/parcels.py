"""The supplier's parcels (SPEC, "Outbound parcels"): every parcel of its consumer orders with
its state, the semi-managed parcels it ships itself (carrier and tracking number, which is the
sale), and one parcel with its milestones in China time, items, tracking events and, when held,
why. Every parcel is fetched within the member's supplier (another supplier's id is a 404); the
shipment goes through shipping.services.parcels.parcel_ship."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from marketplace.errors import DomainError
from shipping.models import Parcel
from shipping.selectors.parcels import (
    STATUS_LABELS,
    hold_reason_texts,
    parcels_visible_to,
    status_label,
    to_ship,
)
from shipping.services.parcels import parcel_ship

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error

PAGE_SIZE = 25
Status = Parcel.Status


class ParcelFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *STATUS_LABELS.items()],
    )


class ShipForm(forms.Form):
    carrier = forms.CharField(label=gettext_lazy("Carrier"), max_length=60)
    tracking_number = forms.CharField(label=gettext_lazy("Tracking number"), max_length=40)


def _parcels(request: SupplierRequest) -> QuerySet[Parcel]:
    return parcels_visible_to(request.user).select_related("listing__product")


def _parcel(request: SupplierRequest, pk: int) -> Parcel:
    return get_object_or_404(_parcels(request), pk=pk)


@supplier_required
@require_GET
def parcels(request: SupplierRequest) -> HttpResponse:
    form = ParcelFilterForm(request.GET)
    form.is_valid()
    status = getattr(form, "cleaned_data", {}).get("status")
    found = _parcels(request)
    if status:
        found = found.filter(status=status)
    page = Paginator(found.order_by("-created_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/shipping/parcels.html",
        {"form": form, "page_obj": page, "filtered": bool(status)},
    )


@supplier_required
@require_GET
def parcels_to_ship(request: SupplierRequest) -> HttpResponse:
    page = Paginator(
        to_ship(_parcels(request)).select_related("order").order_by("created_at", "id"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(request, "portal/shipping/to_ship.html", {"page_obj": page})


@dataclass
class Milestone:
    label: str
    at: datetime | None


MILESTONES = (
    (Status.PICKED_UP, "picked_up_at"),
    (Status.DEPARTED_ORIGIN, "departed_origin_at"),
    (Status.ARRIVED_DESTINATION, "arrived_destination_at"),
    (Status.CUSTOMS_CLEARED, "customs_cleared_at"),
    (Status.OUT_FOR_DELIVERY, "out_for_delivery_at"),
    (Status.DELIVERED, "delivered_at"),
)


def milestones(parcel: Parcel) -> list[Milestone]:
    steps = [Milestone(status_label(Status.CREATED), parcel.created_at)]
    steps += [Milestone(str(status.label), getattr(parcel, field)) for status, field in MILESTONES]
    if parcel.returned_at:
        steps.append(Milestone(str(Status.RETURNED.label), parcel.returned_at))
    return steps


def _parcel_page(
    request: SupplierRequest, parcel: Parcel, ship_form: ShipForm | None = None
) -> HttpResponse:
    shippable = (
        parcel.mode == Parcel.Mode.SELLER
        and parcel.status == Status.CREATED
        and not parcel.tracking_number
    )
    if shippable and ship_form is None:
        ship_form = ShipForm()
    return render(
        request,
        "portal/shipping/parcel_detail.html",
        {
            "parcel": parcel,
            "status": status_label(parcel.status),
            "milestones": milestones(parcel),
            "items": list(parcel.items.select_related("product")),
            "events": list(parcel.events.order_by("occurred_at", "id")),
            "hold_reasons": hold_reason_texts(parcel),
            "ship_form": ship_form if shippable else None,
            "errors": error_summary(ship_form) if shippable and ship_form else [],
        },
    )


@supplier_required
@require_GET
def parcel_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    return _parcel_page(request, _parcel(request, pk))


@supplier_required
@require_POST
def parcel_ship_view(request: SupplierRequest, pk: int) -> HttpResponse:
    parcel = _parcel(request, pk)
    form = ShipForm(request.POST)
    if form.is_valid():
        try:
            parcel_ship(
                parcel,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
            parcel = _parcel(request, pk)
        else:
            messages.success(
                request, _("Shipped: the order is fulfilled and the parcel is on its way.")
            )
            return redirect("portal:parcel_detail", pk=parcel.pk)
    return _parcel_page(request, parcel, ship_form=form)


urlpatterns = [
    path("parcels/", parcels, name="parcels"),
    path("parcels/to-ship/", parcels_to_ship, name="parcels_to_ship"),
    path("parcels/<int:pk>/", parcel_detail, name="parcel_detail"),
    path("parcels/<int:pk>/ship/", parcel_ship_view, name="parcel_ship"),
]
