"""Air freight batches (opened with the add form through `batch_create`, departed and arrived by
the actions, each through its service) and the last-mile partners (data an operator keeps)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from logistics.models import Warehouse
from marketplace.admin_base import ServiceAddAdmin, admin_actor, apply_each
from marketplace.admin_export import export_csv
from marketplace.formatting import when

from ..models import AirFreightBatch, LastMilePartner, Parcel
from ..selectors.parcels import batches_visible_to
from ..services.batches import batch_arrive, batch_create, batch_depart


class BatchAddForm(forms.ModelForm):
    class Meta:
        model = AirFreightBatch
        fields = [
            "master_air_waybill",
            "flight_number",
            "origin_hub",
            "market",
            "last_mile",
            "planned_departure",
        ]
        help_texts = {
            "master_air_waybill": _("3-digit airline prefix and 8 digits, e.g. 176-12345675."),
            "flight_number": _("e.g. CA987."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "origin_hub" in self.fields:
            self.fields["origin_hub"].queryset = Warehouse.objects.filter(  # type: ignore[attr-defined]
                kind=Warehouse.Kind.HUB, is_active=True
            )
        if "last_mile" in self.fields:
            self.fields["last_mile"].queryset = LastMilePartner.objects.filter(  # type: ignore[attr-defined]
                is_active=True
            )

    def validate_unique(self) -> None:
        # The service says so (naming the field) when the waybill is taken.
        return


class BatchParcelInline(admin.TabularInline):
    model = Parcel
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "tracking_number",
        "supplier",
        "country",
        "status",
        "weight_g",
        "held_at",
    )
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AirFreightBatch)
class AirFreightBatchAdmin(ServiceAddAdmin):
    """Batches: open one with the form, add parcels from the parcel list's action, then record
    its departure (every parcel judged by compliance again: the refused leave for the hold
    queue) and its arrival."""

    form = BatchAddForm
    # Four columns, two lines each: the list fits at 1366 px beside the navigation and filters.
    list_display = ["waybill_and_flight", "route", "status_shown", "planned_departure_shown"]
    export_display = [
        "master_air_waybill",
        "flight_number",
        "market",
        "last_mile",
        "status",
        "parcel_count",
        "planned_departure",
    ]
    list_filter = ["status", "market"]
    search_fields = ["master_air_waybill", "flight_number"]
    list_select_related = ["last_mile"]
    show_full_result_count = False
    actions = ["depart", "arrive", export_csv]
    view_fields = [
        "master_air_waybill",
        "flight_number",
        "origin_hub",
        "market",
        "last_mile",
        "status",
        "planned_departure",
        "departed_at",
        "arrived_at",
        "created_at",
        "created_by",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AirFreightBatch]:
        return (
            batches_visible_to(admin_actor(request))
            .select_related("last_mile")
            .annotate(parcel_total=Count("parcels"))
        )

    def get_fields(self, request: HttpRequest, obj: AirFreightBatch | None = None) -> Any:
        return BatchAddForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: AirFreightBatch | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: AirFreightBatch | None) -> Any:
        return [] if obj is None else [BatchParcelInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # For the actions; a batch is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> AirFreightBatch:
        return batch_create(**data, actor=admin_actor(request))

    @admin.display(description=_("master air waybill"), ordering="master_air_waybill")
    def waybill_and_flight(self, batch: AirFreightBatch) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>', batch.master_air_waybill, batch.flight_number
        )

    @admin.display(description=_("parcels"), ordering="parcel_total")
    def parcel_count(self, batch: AirFreightBatch) -> int:
        return getattr(batch, "parcel_total", 0)

    @admin.display(description=_("market"), ordering="market")
    def route(self, batch: AirFreightBatch) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>', batch.get_market_display(), batch.last_mile
        )

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, batch: AirFreightBatch) -> str:
        total = getattr(batch, "parcel_total", 0)
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            batch.get_status_display(),
            ngettext("%(n)d parcel", "%(n)d parcels", total) % {"n": total},
        )

    @admin.display(description=_("planned departure"), ordering="planned_departure")
    def planned_departure_shown(self, batch: AirFreightBatch) -> str:
        return when(batch.planned_departure)

    @admin.action(
        description=_("Record the departure (parcels re-checked)"), permissions=["change"]
    )
    def depart(self, request: HttpRequest, queryset: QuerySet[AirFreightBatch]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda batch: batch_depart(batch, actor=actor),
            ngettext_lazy("%(n)d batch departed.", "%(n)d batches departed.", "n"),
        )

    @admin.action(description=_("Record the arrival"), permissions=["change"])
    def arrive(self, request: HttpRequest, queryset: QuerySet[AirFreightBatch]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda batch: batch_arrive(batch, actor=actor),
            ngettext_lazy("%(n)d batch arrived.", "%(n)d batches arrived.", "n"),
        )


@admin.register(LastMilePartner)
class LastMilePartnerAdmin(admin.ModelAdmin):
    """The carriers that deliver fully-managed parcels in each market; a new parcel takes its
    market's active partner (the first, by id). Data: edited here, never deleted once used."""

    list_display = ["code", "name", "market", "channel", "tracking_prefix", "is_active"]
    list_filter = ["market", "is_active"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "market", "channel", "tracking_prefix", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
