"""The storefront's demand signals for operators, read-only: what each listing was seen,
carted and ordered in each market on each day, beside the platform's own units ordered. Written
by the API (the storefront) and the planning job's rollup only."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import ReadOnlyAdmin, admin_actor
from marketplace.formatting import local_name, when

from ..models import DemandSignal
from ..selectors.signals import signals_visible_to


@admin.register(DemandSignal)
class DemandSignalAdmin(ReadOnlyAdmin):
    list_display = [
        "day",
        "listing_title",
        "market",
        "views",
        "add_to_carts",
        "units_ordered",
        "platform_units_shown",
    ]
    list_filter = ["market", "day"]
    search_fields = ["=listing__id", "listing__product__title_en", "listing__product__title_zh"]
    date_hierarchy = "day"
    # A table of millions of rows: no COUNT(*) of all of them on each page.
    show_full_result_count = False
    list_select_related = ["listing__product"]
    fields = (
        "listing",
        "market",
        "day",
        "views",
        "add_to_carts",
        "units_ordered",
        "platform_units",
        "updated_at_shown",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[DemandSignal]:
        return signals_visible_to(admin_actor(request)).select_related("listing__product")

    @admin.display(description=_("listing"), ordering="listing_id")
    def listing_title(self, row: DemandSignal) -> str:
        product = row.listing.product
        return f"#{row.listing_id} {local_name(product.title_en, product.title_zh)}"

    @admin.display(description=_("platform orders"), ordering="platform_units")
    def platform_units_shown(self, row: DemandSignal) -> int:
        return row.platform_units

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated_at_shown(self, row: DemandSignal) -> str:
        return when(row.updated_at)
