"""Carriers' tracking events, as they were reported: read-only (only the tracking service writes
them), searched by tracking number or the carrier's event id."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import ReadOnlyAdmin
from marketplace.formatting import when

from ..models import TrackingEvent


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred", "parcel", "code", "location", "note", "external_id", "received"]
    list_filter = ["code"]
    search_fields = ["=parcel__tracking_number", "=external_id"]
    list_select_related = ["parcel"]
    show_full_result_count = False  # millions of rows: no count(*) on every page
    ordering = ["-id"]  # the latest received first, by the primary key's index
    readonly_fields = ("parcel", "external_id", "code", "occurred", "location", "note", "received")
    fields = readonly_fields

    @admin.display(description=_("occurred"), ordering="occurred_at")
    def occurred(self, event: TrackingEvent) -> str:
        return when(event.occurred_at)

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, event: TrackingEvent) -> str:
        return when(event.received_at)
