"""The consumer orders' fulfil and cancel actions, which make and unmake parcels: the orders
app's admin without them, registered again here with them (orders sits below shipping)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import admin_actor, apply_each
from marketplace.admin_export import export_csv
from orders.admin.consumer import ConsumerOrderAdmin as OrdersConsumerOrderAdmin
from orders.models import ConsumerOrder

from ..services.parcels import consumer_order_fulfil_and_pack, consumer_order_withdraw

if admin.site.is_registered(ConsumerOrder):
    admin.site.unregister(ConsumerOrder)


@admin.register(ConsumerOrder)
class ConsumerOrderAdmin(OrdersConsumerOrderAdmin):
    """Storefront orders: the warehouse fulfils a fully-managed one (the sale, and its parcels
    are packed) or cancels one (the reservation is released), through the actions. A
    semi-managed order is fulfilled when its seller ships its parcel."""

    actions = ["fulfil", "cancel_consumer_orders", export_csv]

    @admin.action(
        description=_("Fulfil and pack (the sale: the payable is recorded, parcels are made)"),
        permissions=["change"],
    )
    def fulfil(self, request: HttpRequest, queryset: QuerySet[ConsumerOrder]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda order: consumer_order_fulfil_and_pack(order, actor=actor),
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
            lambda order: consumer_order_withdraw(order, actor=actor),
            ngettext_lazy("%(n)d order cancelled.", "%(n)d orders cancelled.", "n"),
        )
