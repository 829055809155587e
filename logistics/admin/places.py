"""Warehouses, pickup clusters and their slots."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import (
    PickupCluster,
    PickupSlot,
    Warehouse,
)
from ..selectors import pickup_today


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "market", "address", "is_active", "jit"]
    list_filter = ["kind", "market", "is_active"]
    search_fields = ["code", "name", "address"]

    @admin.display(description=_("JIT warehouse"), boolean=True)
    def jit(self, warehouse: Warehouse) -> bool:
        return warehouse.is_jit


class PickupSlotInline(admin.TabularInline):
    model = PickupSlot
    extra = 0
    fields = ["date", "window", "warehouse"]
    ordering = ["-date"]


@admin.register(PickupCluster)
class PickupClusterAdmin(admin.ModelAdmin):
    """The industrial clusters the circular pickups serve: a factory whose cluster has this name
    may ask for a pickup."""

    list_display = ["name", "province", "is_active"]
    list_filter = ["is_active", "province"]
    search_fields = ["name", "province"]
    inlines = [PickupSlotInline]


class UpcomingFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("upcoming", _("Today and later")), ("past", _("Past"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = pickup_today()
        if self.value() == "upcoming":
            return queryset.filter(date__gte=today)
        if self.value() == "past":
            return queryset.filter(date__lt=today)
        return queryset


@admin.register(PickupSlot)
class PickupSlotAdmin(admin.ModelAdmin):
    list_display = ["date", "window", "cluster", "warehouse"]
    list_filter = [UpcomingFilter, "cluster", "warehouse", "date"]
    search_fields = ["cluster__name", "window"]
    list_select_related = ["cluster", "warehouse"]
    date_hierarchy = "date"
