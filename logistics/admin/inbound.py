"""Inbound shipments: their lines, their moves and pickup assignment."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    PageExtrasMixin,
    ReadOnlyInline,
    admin_actor,
    apply_each,
    form_error,
    form_page,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError

from ..models import (
    INBOUND_SHIPMENT_MACHINE,
    InboundLine,
    InboundShipment,
    PickupSlot,
)
from ..selectors import (
    pickup_cluster_of,
    pickup_today,
    shipments_visible_to,
)
from ..services.inbound.pickups import pickup_assign
from ..services.inbound.shipments import inbound_cancel, inbound_transition
from .common import (
    IS,
    InboundLineColumns,
    ReasonActionForm,
    _link,
    _reason,
)


class InboundLineInline(InboundLineColumns, ReadOnlyInline):
    model = InboundLine
    fields = readonly_fields = (
        "listing_title",
        "declared",
        "received",
        "damaged",
        "over_short",
        "result",
        "work",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundLine]:
        return super().get_queryset(request).select_related("listing__product", "inspection")


class PickupAssignForm(forms.Form):
    pickup_slot = forms.ModelChoiceField(
        label=_("pickup slot"),
        queryset=PickupSlot.objects.none(),
        help_text=_("Upcoming slots of the supplier's cluster."),
    )

    def __init__(self, *args: Any, shipment: InboundShipment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cluster = pickup_cluster_of(shipment.supplier_id)
        slots = PickupSlot.objects.none()
        if cluster is not None:
            slots = PickupSlot.objects.filter(
                cluster=cluster,
                warehouse_id=shipment.warehouse_id,
                date__gte=pickup_today(),
            ).select_related("cluster")
        cast(forms.ModelChoiceField, self.fields["pickup_slot"]).queryset = slots


# The moves an operator makes on the shipment's page and in the list; booking is the supplier's
# (or a pickup slot's), receiving starts with the first count.
SHIPMENT_MOVES = [
    (IS.IN_TRANSIT, _("Mark in transit")),
    (IS.ARRIVED, _("Mark arrived")),
    (IS.RECEIVED, _("Mark received")),
    (IS.CLOSED, _("Close")),
    (IS.CANCELLED, _("Cancel")),
]


@admin.register(InboundShipment)
class InboundShipmentAdmin(PageExtrasMixin, ActionsOnlyAdmin):
    """Shipments move through inbound_transition (the actions, and the buttons on a shipment's
    page); a shipment that asked for a circular pickup is put on a slot of its supplier's
    cluster. Lines are counted and inspected on their own pages. Nothing is edited."""

    # Never added here: suppliers send the advance notice in the portal or the API.
    # The change permission is for the moves and the pickup; a shipment is never edited.

    change_form_template = "admin/logistics/inboundshipment/change_form.html"
    action_form = ReasonActionForm
    list_display = [
        "id",
        "supplier",
        "stocking_order_link",
        "warehouse",
        "status",
        "carrier",
        "waybill",
        "pickup_requested",
        "pickup_slot",
        "created_at",
        "status_changed_at",
    ]
    list_filter = ["status", "warehouse", "pickup_requested"]
    search_fields = ["waybill", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier", "warehouse", "pickup_slot__cluster"]
    show_full_result_count = False
    readonly_fields = (
        "supplier",
        "stocking_order_link",
        "warehouse",
        "status",
        "carrier",
        "waybill",
        "pickup_requested",
        "pickup_slot",
        "created_at",
        "status_changed_at",
    )
    fields = readonly_fields
    inlines = [InboundLineInline]
    actions = ["mark_in_transit", "mark_arrived", "mark_received", "close", "cancel", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundShipment]:
        return shipments_visible_to(admin_actor(request)).select_related("supplier")

    @admin.display(description=_("stocking order"), ordering="stocking_order_id")
    def stocking_order_link(self, shipment: InboundShipment) -> str:
        return _link(
            "logistics_stockingorder_change",
            shipment.stocking_order_id,
            f"#{shipment.stocking_order_id}",
        )

    # --- Moves ----------------------------------------------------------------------------------

    def _move(self, request: HttpRequest, queryset: QuerySet[InboundShipment], target: str) -> None:
        actor, reason = admin_actor(request), _reason(request)

        def one(shipment: InboundShipment) -> InboundShipment:
            if target == IS.CANCELLED:
                return inbound_cancel(shipment, actor=actor, reason=reason)
            return inbound_transition(shipment, target, actor=actor, reason=reason)

        apply_each(
            self,
            request,
            queryset,
            one,
            ngettext_lazy(
                "%(n)d shipment is now %(status)s.",
                "%(n)d shipments are now %(status)s.",
                "n",
            ),
            status=IS(target).label.lower(),
        )

    @admin.action(description=_("Mark in transit"), permissions=["change"])
    def mark_in_transit(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.IN_TRANSIT)

    @admin.action(description=_("Mark arrived at the warehouse"), permissions=["change"])
    def mark_arrived(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.ARRIVED)

    @admin.action(description=_("Mark received (every line counted)"), permissions=["change"])
    def mark_received(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.RECEIVED)

    @admin.action(description=_("Close (every line inspected)"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.CLOSED)

    @admin.action(description=_("Cancel (reason required)"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.CANCELLED)

    # --- The shipment's page: buttons and the pickup slot --------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/move/<str:target>/",
                self.admin_site.admin_view(self.move_view),
                name="logistics_inboundshipment_move",
            ),
            path(
                "<int:object_id>/pickup/",
                self.admin_site.admin_view(self.pickup_view),
                name="logistics_inboundshipment_pickup",
            ),
            *super().get_urls(),
        ]

    def page_extras(self, request: HttpRequest, shipment: InboundShipment) -> dict[str, Any]:
        if not self.has_change_permission(request):
            return {}
        extra: dict[str, Any] = {
            "moves": [
                (
                    target,
                    label,
                    reverse("admin:logistics_inboundshipment_move", args=[shipment.pk, target]),
                )
                for target, label in SHIPMENT_MOVES
                if INBOUND_SHIPMENT_MACHINE.allows(shipment.status, target)
            ]
        }
        if shipment.pickup_requested and shipment.status in (IS.DRAFT, IS.BOOKED):
            extra["pickup_form"] = PickupAssignForm(shipment=shipment)
            extra["pickup_url"] = reverse(
                "admin:logistics_inboundshipment_pickup", args=[shipment.pk]
            )
        return extra

    def move_view(self, request: HttpRequest, object_id: int, target: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        if target not in dict(SHIPMENT_MOVES):
            raise PermissionDenied
        shipment = get_object_or_404(InboundShipment, pk=object_id)
        self._move(request, InboundShipment.objects.filter(pk=shipment.pk), target)
        return redirect("admin:logistics_inboundshipment_change", shipment.pk)

    def pickup_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        shipment = get_object_or_404(
            InboundShipment.objects.select_related("supplier"), pk=object_id
        )
        change_url = reverse("admin:logistics_inboundshipment_change", args=[shipment.pk])
        form = PickupAssignForm(request.POST or None, shipment=shipment)
        if request.method == "POST" and form.is_valid():
            try:
                pickup_assign(
                    shipment, form.cleaned_data["pickup_slot"], actor=admin_actor(request)
                )
            except DomainError as error:
                form_error(form, error)
            else:
                slot = form.cleaned_data["pickup_slot"]
                report_success(
                    self, request, str(_("Pickup scheduled: %(slot)s.")) % {"slot": slot}
                )
                return redirect(change_url)
        return form_page(
            self,
            request,
            title=_("Assign a pickup slot to %(shipment)s") % {"shipment": shipment},
            subject=shipment,
            subject_url=change_url,
            intro=_("%(supplier)s asked for a circular pickup.") % {"supplier": shipment.supplier},
            form=form,
            submit=_("Assign the slot"),
        )
