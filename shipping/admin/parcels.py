"""Parcels for operators: the list (market, status, mode, held, late; the hold queue is the
`held` filter), each parcel with its items and tracking events read-only, and the action that
puts eligible parcels on an open air freight batch. Parcels change only through services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.admin_base import ReadOnlyAdmin, SupplierNameColumn, admin_actor
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.formatting import money_html, when
from marketplace.markets import MARKET_DEFAULT_COUNTRY

from ..models import AirFreightBatch, Parcel, ParcelItem, TrackingEvent
from ..selectors.parcels import (
    batches_visible_to,
    hold_reason_texts,
    parcels_visible_to,
    status_label,
)
from ..services.batches import batch_add_parcels
from .late import LateFilter


class BatchActionForm(ActionForm):
    batch = forms.ModelChoiceField(
        label=_("Batch:"),
        queryset=AirFreightBatch.objects.filter(status=AirFreightBatch.Status.OPEN),
        required=False,
    )


class HeldFilter(admin.SimpleListFilter):
    title = _("hold queue")
    parameter_name = "held"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("yes", _("On hold")), ("no", _("Not held"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Parcel]) -> Any:
        if self.value() == "yes":
            return queryset.filter(held_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(held_at__isnull=True)
        return queryset


class ParcelItemInline(admin.TabularInline):
    model = ParcelItem
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "description",
        "hs_code",
        "origin_country",
        "quantity",
        "unit_value",
        "weight_g",
    )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrackingEventInline(admin.TabularInline):
    model = TrackingEvent
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "occurred_at",
        "code",
        "location",
        "note",
        "external_id",
        "received_at",
    )
    ordering = ["occurred_at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Parcel)
class ParcelAdmin(SupplierNameColumn, ReadOnlyAdmin):
    """Every parcel, newest first. The hold queue: filter "hold queue: held" (the reasons are on
    the parcel); the action puts the eligible ones (the platform's, the batch's market, not left,
    not held, in no batch) on an open batch and leaves the others as they are."""

    list_display = [
        "number",
        "supplier_name",
        "destination",
        "status_shown",
        "value_shown",
        "created_at_shown",
    ]
    export_display = [
        "id",
        "tracking_number",
        "supplier",
        "mode",
        "market",
        "country",
        "status",
        "declared_value",
        "currency",
        "weight_g",
        "batch",
        "created_at",
        "held_at",
        "late_flagged_at",
    ]
    list_filter = ["market", "status", "mode", HeldFilter, LateFilter]
    search_fields = ["tracking_number", "order__external_id", "supplier__name_en"]
    list_select_related = ["supplier", "batch"]
    show_full_result_count = False
    action_form = BatchActionForm
    actions = ["add_to_batch", export_csv]
    inlines = [ParcelItemInline, TrackingEventInline]
    fields = readonly_fields = (
        "order",
        "listing",
        "supplier",
        "mode",
        "market",
        "country",
        "channel",
        "carrier",
        "tracking_number",
        "last_mile",
        "batch",
        "value_shown",
        "weight_g",
        "status",
        "created_at",
        "picked_up_at",
        "departed_origin_at",
        "arrived_destination_at",
        "customs_cleared_at",
        "out_for_delivery_at",
        "delivered_at",
        "returned_at",
        "exception_at",
        "exception_note",
        "held_at",
        "hold_reasons_shown",
        "late_flagged_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Parcel]:
        return parcels_visible_to(admin_actor(request)).select_related("supplier", "batch")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the batch action; a parcel is never edited.
        return obj is None and request.user.has_perm("shipping.change_parcel")

    @admin.display(description=_("parcel"), ordering="id")
    def number(self, parcel: Parcel) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            parcel.tracking_number or f"#{parcel.pk}",
            parcel.get_mode_display(),
        )

    @admin.display(description=_("destination"), ordering="market")
    def destination(self, parcel: Parcel) -> str:
        """The market's name as the portal says it; the country only where the market has
        several (an EU parcel to Germany: "European Union (DE)")."""
        market = str(parcel.get_market_display())
        if parcel.country and parcel.country != MARKET_DEFAULT_COUNTRY.get(parcel.market):
            return f"{market} ({parcel.country})"
        return market

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, parcel: Parcel) -> str:
        marks: list[str] = []
        if parcel.held_at:
            marks.append(str(_("held since %(at)s")) % {"at": when(parcel.held_at)})
        if parcel.late_flagged_at:
            marks.append(str(_("late")))
        if parcel.batch_id:
            marks.append(str(parcel.batch))
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            status_label(parcel.status),
            "; ".join(str(m) for m in marks),
        )

    @admin.display(description=_("created"), ordering="created_at")
    def created_at_shown(self, parcel: Parcel) -> str:
        return when(parcel.created_at)

    @admin.display(description=_("declared value"), ordering="declared_value")
    def value_shown(self, parcel: Parcel) -> str:
        return money_html(parcel.declared_value, parcel.currency)

    @admin.display(description=_("hold reasons"))
    def hold_reasons_shown(self, parcel: Parcel) -> str:
        texts = hold_reason_texts(parcel)
        if not texts:
            return "—"
        return format_html_join("", "<div>{}</div>", ((text,) for text in texts))

    @admin.action(description=_("Add to the chosen air freight batch"), permissions=["change"])
    def add_to_batch(self, request: HttpRequest, queryset: QuerySet[Parcel]) -> None:
        chosen = request.POST.get("batch", "")
        batch = (
            batches_visible_to(admin_actor(request))
            .filter(status=AirFreightBatch.Status.OPEN, pk=int(chosen))
            .first()
            if chosen.isdigit()
            else None
        )
        if batch is None:
            self.message_user(request, _("Choose an open batch."), level="error")
            return
        try:
            added = batch_add_parcels(batch, queryset, actor=admin_actor(request))
        except DomainError as error:
            self.message_user(request, error.message, level="error")
            return
        left = queryset.count() - added
        self.message_user(
            request,
            ngettext("%(n)d parcel added to %(batch)s.", "%(n)d parcels added to %(batch)s.", added)
            % {"n": added, "batch": batch}
            + (
                " "
                + ngettext(
                    "%(n)d was not eligible (another market, held, in a batch or left).",
                    "%(n)d were not eligible (another market, held, in a batch or left).",
                    left,
                )
                % {"n": left}
                if left
                else ""
            ),
            level="success" if added else "warning",
        )
