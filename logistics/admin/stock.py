"""Stock positions with their latest movements, and overstock offers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from logistics.services.inbound.common import MAX_UNITS
from marketplace.admin_base import (
    ActionsOnlyAdmin,
    LatestRowsFormSet,
    PageExtrasMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_actor,
    apply_each,
    form_error,
    form_page,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.paginator import KeysFirstPaginator

from ..models import (
    OverstockOffer,
    StockMovement,
    StockPosition,
)
from ..selectors import (
    overstock_offers_visible_to,
    stock_positions_visible_to,
)
from ..services.overstock import overstock_mark_down
from ..services.stock import stock_write_off
from .common import (
    EMPTY,
    LATEST_MOVEMENTS,
    _listing_title,
)


class LatestMovementsFormSet(LatestRowsFormSet):
    latest = LATEST_MOVEMENTS


class MovementInline(ReadOnlyInline):
    """The position's latest movements; the ledger is append-only and written by the services."""

    model = StockMovement
    formset = LatestMovementsFormSet
    fields = readonly_fields = (
        "occurred_at",
        "kind",
        "on_hand",
        "available",
        "owner",
        "reference",
        "actor",
    )
    ordering = ["-occurred_at", "-id"]
    verbose_name_plural = _("latest stock movements (50)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockMovement]:
        return super().get_queryset(request).select_related("owner", "actor")


class StockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("on_hand", _("Units on hand")),
            ("reserved", _("With reservations")),
            ("sold_out", _("Nothing available")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from django.db.models import F

        if self.value() == "on_hand":
            return queryset.filter(on_hand__gt=0)
        if self.value() == "reserved":
            return queryset.filter(on_hand__gt=F("available"))
        if self.value() == "sold_out":
            return queryset.filter(available=0)
        return queryset


@admin.register(StockPosition)
class StockPositionAdmin(PageExtrasMixin, ReadOnlyAdmin):
    """Per listing and warehouse, the ledger's sums (maintained with every movement) and the age
    of the oldest unsold unit: one query per page. Operators who may change positions write off
    damaged or lost units on the position's page (a write-off movement, through the service)."""

    paginator = KeysFirstPaginator  # deep pages of a large list stay fast

    list_display = [
        "listing_title",
        "warehouse",
        "supplier",
        "on_hand",
        "available",
        "reserved_units",
        "sold",
        "oldest",
        "updated_at",
    ]
    list_filter = [StockFilter, "warehouse", "warehouse__kind"]
    search_fields = [
        "listing__product__title_en",
        "listing__product__title_zh",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    show_full_result_count = False
    readonly_fields = (
        "listing_title",
        "warehouse",
        "supplier",
        "on_hand",
        "available",
        "reserved_units",
        "sold",
        "oldest",
        "updated_at",
    )
    fields = readonly_fields
    inlines = [MovementInline]
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockPosition]:
        return stock_positions_visible_to(admin_actor(request)).select_related("supplier")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/write-off/",
                self.admin_site.admin_view(self.write_off_view),
                name="logistics_stockposition_write_off",
            ),
            *super().get_urls(),
        ]

    def _may_write_off(self, request: HttpRequest) -> bool:
        return request.user.has_perm("logistics.change_stockposition")

    def page_extras(self, request: HttpRequest, position: StockPosition) -> dict[str, Any]:
        if not self._may_write_off(request):
            return {}
        return {
            "write_off_form": WriteOffForm(),
            "write_off_url": reverse("admin:logistics_stockposition_write_off", args=[position.pk]),
        }

    def write_off_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self._may_write_off(request):
            raise PermissionDenied
        position = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:logistics_stockposition_change", args=[position.pk])
        form = WriteOffForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                stock_write_off(
                    position,
                    form.cleaned_data["quantity"],
                    reason=form.cleaned_data["reason"],
                    actor=admin_actor(request),
                )
            except DomainError as error:
                form_error(form, error)
            else:
                report_success(
                    self,
                    request,
                    str(_("%(n)d units written off.")) % {"n": form.cleaned_data["quantity"]},
                )
                return redirect(change_url)
        return form_page(
            self,
            request,
            title=_("Write off stock"),
            subject=f"{_listing_title(position.listing)} · {position.warehouse}",
            subject_url=change_url,
            intro=_("%(available)d available of %(on_hand)d on hand.")
            % {"available": position.available, "on_hand": position.on_hand},
            form=form,
            submit=_("Write off"),
        )

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, position: StockPosition) -> str:
        return _listing_title(position.listing)

    @admin.display(description=_("reserved"))
    def reserved_units(self, position: StockPosition) -> int:
        return position.reserved

    @admin.display(description=_("oldest unsold unit"), ordering="oldest_received_at")
    def oldest(self, position: StockPosition) -> str:
        at = getattr(position, "oldest_received_at", None)
        if at is None:
            return EMPTY
        days = (timezone.now() - at).days
        return str(_("%(days)d days (%(date)s)")) % {
            "days": days,
            "date": timezone.localdate(at).isoformat(),
        }


class WriteOffForm(forms.Form):
    quantity = forms.IntegerField(label=_("units"), min_value=1, max_value=MAX_UNITS)
    reason = forms.CharField(label=_("why"), max_length=50)


class MarkdownActionForm(ActionForm):
    note = forms.CharField(
        label=_("Markdown:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: e.g. 30 percent off for 14 days")}
        ),
    )


@admin.register(OverstockOffer)
class OverstockOfferAdmin(ActionsOnlyAdmin):
    """Stock unsold for 90 days offered back to its supplier; what the supplier leaves for a
    markdown, an operator decides (the action, with the markdown as its note)."""

    # Never added here: the daily overstock job makes the offers.
    # The change permission is for the markdown action; an offer is never edited.

    action_form = MarkdownActionForm
    list_display = [
        "id",
        "supplier",
        "listing_title",
        "warehouse",
        "quantity",
        "received_at",
        "status",
        "offered_at",
        "decided_at",
        "markdown_note",
    ]
    list_filter = ["status", "offered_at"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "markdown_note"]
    show_full_result_count = False
    readonly_fields = (
        "supplier",
        "listing_title",
        "warehouse",
        "quantity",
        "received_at",
        "status",
        "offered_at",
        "decided_at",
        "markdown_note",
    )
    fields = readonly_fields
    actions = ["record_markdown", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OverstockOffer]:
        return overstock_offers_visible_to(admin_actor(request)).select_related(
            "supplier", "lot__position__warehouse"
        )

    @admin.display(description=_("listing"))
    def listing_title(self, offer: OverstockOffer) -> str:
        return _listing_title(offer.lot.position.listing)

    @admin.display(description=_("warehouse"))
    def warehouse(self, offer: OverstockOffer) -> Any:
        return offer.lot.position.warehouse

    @admin.display(description=_("received"), ordering="lot__received_at")
    def received_at(self, offer: OverstockOffer) -> Any:
        return offer.lot.received_at

    @admin.action(description=_("Record the markdown (note required)"), permissions=["change"])
    def record_markdown(self, request: HttpRequest, queryset: QuerySet[OverstockOffer]) -> None:
        actor, note = admin_actor(request), request.POST.get("note", "").strip()
        apply_each(
            self,
            request,
            queryset,
            lambda offer: overstock_mark_down(offer, actor=actor, note=note),
            ngettext_lazy("%(n)d markdown recorded.", "%(n)d markdowns recorded.", "n"),
        )
