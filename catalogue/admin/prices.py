"""Price rounds: the operator accepts, counters or rejects a supplier's proposed price, seeing
what to weigh beside it."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import ActionsOnlyAdmin, admin_actor, apply_each
from marketplace.admin_export import export_csv
from marketplace.formatting import money, money_display

from ..models import PriceRound
from ..selectors import supplier_agreed_prices
from ..services.prices import price_accept, price_counter, price_reject
from .common import PreparedRowsAdmin, _agreed_elsewhere_html, _band, _post


class PriceRoundActionForm(ActionForm):
    counter_price = forms.CharField(
        label=_("Counter price (CNY):"),
        required=False,
        widget=forms.TextInput(attrs={"size": 10}),
    )
    note = forms.CharField(
        label=_("Note to the supplier:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("required to reject")}),
    )


@admin.register(PriceRound)
class PriceRoundAdmin(ActionsOnlyAdmin, PreparedRowsAdmin):
    """Rounds waiting for an operator are the proposed ones (filter by status). Each row shows
    what to weigh: the product's reference price, the category's band and the supplier's other
    agreed prices in the category. Answer with the actions."""

    # Never added here: suppliers propose.
    # The change permission is for the actions; a round is never edited.

    action_form = PriceRoundActionForm
    list_display = [
        "listing",
        "number",
        "status",
        "proposed",
        "countered",
        "reference_price",
        "price_band",
        "agreed_elsewhere",
        "supplier_note",
        "operator_note",
        "opened_at",
    ]
    list_filter = ["status"]
    search_fields = [
        "listing__product__title_en",
        "listing__product__title_zh",
        "listing__supplier__name_en",
        "listing__supplier__name_zh",
    ]
    list_select_related = ["listing__product__category", "listing__supplier"]
    ordering = ["-opened_at", "-id"]
    readonly_fields = (
        "listing_link",
        "number",
        "status",
        "proposed",
        "countered",
        "supplier_note",
        "operator_note",
        "proposed_by",
        "reviewed_by",
        "opened_at",
        "closed_at",
        "reference_price",
        "price_band",
        "agreed_elsewhere",
    )
    fields = readonly_fields
    actions = ["accept", "counter", "reject", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceRound]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "listing__product__category", "listing__supplier", "proposed_by", "reviewed_by"
            )
        )

    def prepare_rows(self, rows: list[PriceRound]) -> None:
        agreed = supplier_agreed_prices(row.listing for row in rows)
        for row in rows:
            key = (row.listing.supplier_id, row.listing.product.category_id)
            row.agreed_others = agreed.get(key, [])  # type: ignore[attr-defined]

    proposed = money_display("proposed_price", _("proposed price"))
    countered = money_display("counter_price", _("counter price"))

    @admin.display(description=_("listing"))
    def listing_link(self, round_: PriceRound) -> str:
        url = reverse("admin:catalogue_listing_change", args=[round_.listing_id])
        return format_html('<a href="{}">{}</a>', url, round_.listing)

    @admin.display(description=_("reference price"))
    def reference_price(self, round_: PriceRound) -> str:
        return money(round_.listing.product.reference_price_cny)

    @admin.display(description=_("category's price band"))
    def price_band(self, round_: PriceRound) -> str:
        return _band(round_.listing.product.category)

    @admin.display(description=_("supplier's other agreed prices in the category"))
    def agreed_elsewhere(self, round_: PriceRound) -> str:
        if not hasattr(round_, "agreed_others"):
            self.prepare_rows([round_])
        return _agreed_elsewhere_html(round_.listing, round_.agreed_others)  # type: ignore[attr-defined]

    @admin.action(description=_("Accept the proposed price"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[PriceRound]) -> None:
        actor, note = admin_actor(request), _post(request, "note")
        apply_each(
            self,
            request,
            queryset,
            lambda round_: price_accept(round_, actor=actor, note=note),
            ngettext_lazy("%(n)d price accepted.", "%(n)d prices accepted.", "n"),
        )

    @admin.action(
        description=_("Counter (counter price and note in the bar)"), permissions=["change"]
    )
    def counter(self, request: HttpRequest, queryset: QuerySet[PriceRound]) -> None:
        actor, note, price = (
            admin_actor(request),
            _post(request, "note"),
            _post(request, "counter_price"),
        )
        apply_each(
            self,
            request,
            queryset,
            lambda round_: price_counter(round_, price=price, actor=actor, note=note),
            ngettext_lazy("%(n)d counter-offer sent.", "%(n)d counter-offers sent.", "n"),
        )

    @admin.action(description=_("Reject (note required)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[PriceRound]) -> None:
        actor, note = admin_actor(request), _post(request, "note")
        apply_each(
            self,
            request,
            queryset,
            lambda round_: price_reject(round_, actor=actor, note=note),
            ngettext_lazy("%(n)d price rejected.", "%(n)d prices rejected.", "n"),
        )
