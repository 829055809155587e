"""Consumer orders on consignment stock (the warehouse fulfils or cancels them) and the payables
their sales record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import ReadOnlyAdmin, admin_actor
from marketplace.admin_export import export_csv
from marketplace.formatting import money_display

from ..models import ConsumerOrder, Payable
from ..selectors import consumer_orders_visible_to, payables_visible_to


@admin.register(ConsumerOrder)
class ConsumerOrderAdmin(ReadOnlyAdmin):
    """Storefront orders, reserved from consignment stock (or a semi-managed seller's overseas
    stock). Orders are never edited; shipping's admin adds the fulfil and cancel actions."""

    list_display = [
        "id",
        "external_id",
        "listing_title",
        "supplier",
        "warehouse",
        "market",
        "quantity",
        "unit_supply_price_shown",
        "status",
        "ordered_at",
        "fulfilled_at",
        "cancelled_at",
    ]
    list_filter = ["status", "market", "warehouse", "ordered_at"]
    search_fields = ["external_id", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["listing__product", "supplier", "warehouse"]
    show_full_result_count = False
    readonly_fields = (
        "external_id",
        "listing_title",
        "supplier",
        "warehouse",
        "market",
        "quantity",
        "unit_supply_price_shown",
        "status",
        "ordered_at",
        "fulfilled_at",
        "cancelled_at",
    )
    fields = readonly_fields
    # Fulfil and cancel make and unmake parcels: shipping/admin/consumer_orders.py adds them.
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsumerOrder]:
        return consumer_orders_visible_to(admin_actor(request)).select_related(
            "listing__product", "supplier", "warehouse"
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the actions; an order is never edited.
        return obj is None and request.user.has_perm("orders.change_consumerorder")

    unit_supply_price_shown = money_display("unit_supply_price", _("unit supply price"))

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, order: ConsumerOrder) -> str:
        return f"{order.listing.product.title_en} (#{order.listing_id})"


@admin.register(Payable)
class PayableAdmin(ReadOnlyAdmin):
    """What the platform owes suppliers for consignment stock sold, recorded at each sale;
    read-only, with a CSV export for finance."""

    list_display = ["recorded_at", "order_link", "supplier", "amount_shown", "status"]
    list_filter = ["status", "recorded_at"]
    search_fields = ["order__external_id", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier"]
    show_full_result_count = False
    readonly_fields = (
        "recorded_at",
        "order_link",
        "supplier",
        "amount_shown",
        "status",
    )
    fields = readonly_fields
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payable]:
        return payables_visible_to(admin_actor(request)).select_related("supplier")

    amount_shown = money_display("amount", _("amount"))

    @admin.display(description=_("consumer order"), ordering="order_id")
    def order_link(self, payable: Payable) -> str:
        url = reverse("admin:orders_consumerorder_change", args=[payable.order_id])
        return format_html('<a href="{}">#{}</a>', url, payable.order_id)
