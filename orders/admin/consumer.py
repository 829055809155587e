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
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import ReadOnlyAdmin, admin_actor, apply_each
from marketplace.admin_export import export_csv
from marketplace.formatting import money_display

from ..models import ConsumerOrder, Payable
from ..selectors import consumer_orders_visible_to, payables_visible_to
from ..services.consumer import consumer_order_cancel, consumer_order_fulfil


@admin.register(ConsumerOrder)
class ConsumerOrderAdmin(ReadOnlyAdmin):
    """Storefront orders on fully-managed listings, reserved from consignment stock: the
    warehouse fulfils them (the sale: ownership passes, the payable is recorded) or cancels them
    (the reservation is released), through the actions. Orders are never edited."""

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
    actions = ["fulfil", "cancel_consumer_orders", export_csv]

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

    @admin.action(
        description=_("Fulfil (the sale: the payable is recorded)"), permissions=["change"]
    )
    def fulfil(self, request: HttpRequest, queryset: QuerySet[ConsumerOrder]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda order: consumer_order_fulfil(order, actor=actor),
            ngettext_lazy("%(n)d order fulfilled.", "%(n)d orders fulfilled.", "n"),
        )

    @admin.action(description=_("Cancel (the reservation is released)"), permissions=["change"])
    def cancel_consumer_orders(
        self, request: HttpRequest, queryset: QuerySet[ConsumerOrder]
    ) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda order: consumer_order_cancel(order, actor=actor),
            ngettext_lazy("%(n)d order cancelled.", "%(n)d orders cancelled.", "n"),
        )


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
