"""Return-rate feedback for operators: the breaches the daily job opened (warnings, pauses and
their fines), where an appealed fine is upheld (reversed) or dismissed with a note (the action
bar), and the daily ListingReturnRate rows, read-only. Resuming a paused listing is the
listings' admin's "resume" (an operator's decision, never the appeal's)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from catalogue.models import ListingReturnRate
from marketplace.admin_base import (
    ActionsOnlyAdmin,
    ReadOnlyAdmin,
    SupplierNameColumn,
    admin_actor,
    apply_each,
)
from marketplace.admin_export import export_csv
from marketplace.formatting import EMPTY, local_name, money_display, when

from ..models import ReturnRateBreach
from ..selectors.return_rates import breaches_visible_to, return_rates_visible_to
from ..services.return_rate import breach_appeal_dismiss, breach_appeal_uphold


class NoteActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: the supplier reads it")}
        ),
    )


class OpenFilter(admin.SimpleListFilter):
    title = _("open or ended")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Open")), ("no", _("Ended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


def _percent(rate: Any) -> str:
    return EMPTY if rate is None else f"{rate * 100:.1f}%"


def _listing(listing: Any) -> str:
    product = listing.product
    return f"#{listing.pk} {local_name(product.title_en, product.title_zh)}"


@admin.register(ReturnRateBreach)
class ReturnRateBreachAdmin(SupplierNameColumn, ActionsOnlyAdmin):
    """Breaches the job found: a warning over 8%, a pause and a fine over 15%; an appealed fine
    is upheld (the fine reversed) or dismissed here, with a note."""

    action_form = NoteActionForm
    list_display = [
        "detected_at_shown",
        "supplier_name",
        "listing_title",
        "level",
        "rate_shown",
        "units",
        "fine_shown",
        "appeal",
        "ended_at_shown",
    ]
    list_filter = ["level", OpenFilter, "appeal", "detected_at"]
    search_fields = [
        "supplier__name_en",
        "supplier__name_zh",
        "listing__product__title_en",
        "listing__product__title_zh",
    ]
    show_full_result_count = False
    list_select_related = ["supplier", "listing__product", "fine"]
    readonly_fields = (
        "supplier",
        "listing_title",
        "level",
        "rate_shown",
        "units",
        "window",
        "detected_at_shown",
        "ended_at_shown",
        "fine_shown",
        "reversal_shown",
        "appeal",
        "appeal_deadline",
        "appeal_text",
        "appealed_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    fields = readonly_fields
    actions = ["uphold", "dismiss", export_csv]

    fine_shown = money_display("fine__amount", _("fine"))
    reversal_shown = money_display("reversal__amount", _("fine given back"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnRateBreach]:
        return breaches_visible_to(admin_actor(request)).select_related(
            "supplier", "listing__product", "fine", "reversal"
        )

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, breach: ReturnRateBreach) -> str:
        return _listing(breach.listing)

    @admin.display(description=_("return rate"), ordering="rate")
    def rate_shown(self, breach: ReturnRateBreach) -> str:
        return _percent(breach.rate)

    @admin.display(description=_("defective / sold"))
    def units(self, breach: ReturnRateBreach) -> str:
        return f"{breach.units_returned} / {breach.units_sold}"

    @admin.display(description=_("window"))
    def window(self, breach: ReturnRateBreach) -> str:
        return f"{when(breach.window_start)} - {when(breach.window_end)}"

    @admin.display(description=_("detected"), ordering="detected_at")
    def detected_at_shown(self, breach: ReturnRateBreach) -> str:
        return when(breach.detected_at)

    @admin.display(description=_("ended"), ordering="ended_at")
    def ended_at_shown(self, breach: ReturnRateBreach) -> str:
        return when(breach.ended_at) if breach.ended_at else str(_("still open"))

    @admin.display(description=_("appeal until"))
    def appeal_deadline(self, breach: ReturnRateBreach) -> str:
        return when(breach.appeal_until) if breach.fine_id else EMPTY

    @admin.action(
        description=_("Uphold the appeal: reverse the fine (note required)"),
        permissions=["change"],
    )
    def uphold(self, request: HttpRequest, queryset: QuerySet[ReturnRateBreach]) -> None:
        actor, note = admin_actor(request), request.POST.get("note", "")
        apply_each(
            self,
            request,
            queryset,
            lambda breach: breach_appeal_uphold(breach, note=note, actor=actor),
            ngettext_lazy("%(n)d appeal upheld.", "%(n)d appeals upheld.", "n"),
        )

    @admin.action(
        description=_("Dismiss the appeal: the fine stands (note required)"),
        permissions=["change"],
    )
    def dismiss(self, request: HttpRequest, queryset: QuerySet[ReturnRateBreach]) -> None:
        actor, note = admin_actor(request), request.POST.get("note", "")
        apply_each(
            self,
            request,
            queryset,
            lambda breach: breach_appeal_dismiss(breach, note=note, actor=actor),
            ngettext_lazy("%(n)d appeal dismissed.", "%(n)d appeals dismissed.", "n"),
        )


@admin.register(ListingReturnRate)
class ListingReturnRateAdmin(ReadOnlyAdmin):
    """The daily job's figures: each listing's units sold and returned for a defect over the
    30 days up to the day. Written by the job only."""

    list_display = ["day", "listing_title", "units_sold", "units_returned", "rate_shown"]
    list_filter = ["day"]
    search_fields = ["listing__product__title_en", "listing__product__title_zh", "=listing__id"]
    date_hierarchy = "day"
    show_full_result_count = False
    list_select_related = ["listing__product"]
    fields = ("listing", "day", "units_sold", "units_returned", "rate_shown")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ListingReturnRate]:
        return return_rates_visible_to(admin_actor(request)).select_related("listing__product")

    @admin.display(description=_("listing"), ordering="listing_id")
    def listing_title(self, row: ListingReturnRate) -> str:
        return _listing(row.listing)

    @admin.display(description=_("return rate"), ordering="rate")
    def rate_shown(self, row: ListingReturnRate) -> str:
        return _percent(row.rate)
