"""Stocking orders: issued through the service, within the stocking cap."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ReadOnlyInline,
    ServiceAddAdmin,
    ServiceInputForm,
    admin_actor,
    apply_each,
)
from marketplace.admin_export import export_csv

from ..models import (
    InboundShipment,
    StockingOrder,
    Warehouse,
)
from ..selectors import (
    stocking_orders_visible_to,
)
from ..services.inbound.stocking import stocking_order_cancel, stocking_order_issue
from .common import (
    ReasonActionForm,
    _listing_title,
    _reason,
)


class StockingOrderIssueForm(ServiceInputForm):
    """An operator issues a stocking order: the form checks the input, and
    StockingOrderAdmin.service_add issues it through the service, whose refusal (the stocking
    cap, a listing that is not fully managed) is an error on the field it names."""

    class Meta:
        model = StockingOrder
        fields = ["listing", "quantity", "warehouse", "urgent"]
        help_texts = {
            "urgent": _("Expires in 7 days instead of 14 if not shipped."),
            "quantity": _("A new listing is capped until its first batch passes inspection."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "warehouse" in self.fields:
            field = cast(forms.ModelChoiceField, self.fields["warehouse"])
            field.queryset = Warehouse.objects.filter(is_active=True, kind=Warehouse.Kind.HUB)


class ShipmentInline(ReadOnlyInline):
    model = InboundShipment
    fields = readonly_fields = ("status", "carrier", "waybill", "pickup_requested", "created_at")
    show_change_link = True


@admin.register(StockingOrder)
class StockingOrderAdmin(ServiceAddAdmin):
    """Operators issue stocking orders (the add form, through the service) and cancel open ones
    with a reason (the action). The supplier accepts or declines in the portal; the hourly job
    lapses what is not shipped by its expiry. Orders are never edited."""

    form = StockingOrderIssueForm
    action_form = ReasonActionForm
    list_display = [
        "id",
        "supplier",
        "listing_title",
        "quantity",
        "warehouse",
        "urgent",
        "status",
        "issued_at",
        "expires_at",
    ]
    list_filter = ["status", "urgent", "warehouse", "issued_at"]
    search_fields = [
        "supplier__name_en",
        "supplier__name_zh",
        "listing__product__title_en",
        "listing__product__title_zh",
    ]
    list_select_related = ["supplier", "listing__product", "warehouse"]
    autocomplete_fields = ["listing"]
    show_full_result_count = False
    view_fields = [
        "supplier",
        "listing",
        "quantity",
        "warehouse",
        "urgent",
        "status",
        "status_reason",
        "issued_at",
        "expires_at",
        "issued_by",
    ]
    actions = ["cancel", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockingOrder]:
        return stocking_orders_visible_to(admin_actor(request)).select_related("supplier")

    def get_fields(self, request: HttpRequest, obj: StockingOrder | None = None) -> Any:
        return StockingOrderIssueForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: StockingOrder | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: StockingOrder | None) -> Any:
        return [] if obj is None else [ShipmentInline]

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> StockingOrder:
        return stocking_order_issue(
            data["listing"],
            quantity=data["quantity"],
            warehouse=data["warehouse"],
            actor=admin_actor(request),
            urgent=bool(data.get("urgent")),
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the cancel action; an order is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, order: StockingOrder) -> str:
        return _listing_title(order.listing)

    @admin.action(description=_("Cancel (reason required)"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[StockingOrder]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        apply_each(
            self,
            request,
            queryset,
            lambda order: stocking_order_cancel(order, actor=actor, reason=reason),
            ngettext_lazy(
                "%(n)d stocking order cancelled.", "%(n)d stocking orders cancelled.", "n"
            ),
        )
