"""Tenders: an operator opens one (the add form, through the service), reads who bid (the
amounts sealed until it closes) and the award's arithmetic, and closes due ones now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.admin_base import (
    ReadOnlyInline,
    ServiceAddAdmin,
    ServiceInputForm,
    admin_actor,
    apply_each,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.formatting import money, when

from ..models import Bid, Tender
from ..selectors import bids_with_sealing
from ..services.tenders import tender_close, tender_open
from .common import EMPTY


class TenderOpenForm(ServiceInputForm):
    """An operator opens a tender: the form checks the input, TenderAdmin.service_add opens it
    through the service, whose refusal is an error on the field it names."""

    class Meta:
        model = Tender
        fields = [
            "product",
            "quantity",
            "closes_at",
            "min_score",
            "max_return_rate",
            "required_test",
            "quality_adjusted",
        ]


class BidInline(ReadOnlyInline):
    """Who bid and when; the amounts only to those who may read them (`bids_with_sealing`):
    operators once the tender has closed."""

    model = Bid
    readonly_fields = ("supplier", "placed_at", "updated_at", "price", "lead_time", "units")
    fields = readonly_fields
    ordering = ["placed_at", "id"]
    verbose_name_plural = _("bids (amounts sealed until the tender closes)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bid]:
        bids = super().get_queryset(request).select_related("supplier")
        return bids_with_sealing(bids, admin_actor(request))

    @staticmethod
    def _unsealed(bid: Bid, value: object) -> Any:
        return value if getattr(bid, "amounts_visible", False) else _("sealed")

    @admin.display(description=_("unit price"))
    def price(self, bid: Bid) -> Any:
        return self._unsealed(bid, money(bid.unit_price))

    @admin.display(description=_("lead time (days)"))
    def lead_time(self, bid: Bid) -> Any:
        return self._unsealed(bid, bid.lead_time_days)

    @admin.display(description=_("capacity (units)"))
    def units(self, bid: Bid) -> Any:
        return self._unsealed(bid, bid.capacity)


class ClosingFilter(admin.SimpleListFilter):
    title = _("closing")
    parameter_name = "closing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("due", _("Due (past closing, still open)")),
            ("24h", _("Open, closing within 24 h")),
            ("later", _("Open, closing later")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tender]) -> QuerySet[Tender]:
        now, value = timezone.now(), self.value()
        open_ = queryset.filter(status=Tender.Status.OPEN)
        if value == "due":
            return open_.filter(closes_at__lte=now)
        if value == "24h":
            return open_.filter(closes_at__gt=now, closes_at__lte=now + timedelta(hours=24))
        if value == "later":
            return open_.filter(closes_at__gt=now + timedelta(hours=24))
        return queryset


def _local(iso: str | None) -> str:
    if not iso:
        return EMPTY
    return when(datetime.fromisoformat(iso))


def award_html(tender: Tender) -> str:
    """The award explanation (services.tenders._explain) as a table: every bid, whether it
    qualified or why not, the factor and effective price when quality-adjusted, the winner and
    why."""
    explanation = tender.award_explanation or {}
    if tender.status == Tender.Status.OPEN or not explanation:
        return str(_("Shown when the tender closes."))
    adjusted = explanation.get("rule") == "quality_adjusted"
    winner = explanation.get("winner")
    head = [_("supplier"), _("unit price"), _("capacity"), _("lead time (days)")]
    head += [_("placed"), _("scorecard")]
    if adjusted:
        head += [_("quality factor"), _("price / factor")]
    head += [_("qualified")]

    def row(bid: dict[str, Any]) -> SafeString:
        cells: list[Any] = [
            bid.get("supplier_name"),
            money(bid.get("unit_price")),
            bid.get("capacity"),
            bid.get("lead_time_days"),
            _local(bid.get("placed_at")),
            bid.get("score") or _("none"),
        ]
        if adjusted:
            # The ranking figure, to the four decimals it was compared at: not an amount paid.
            cells += [bid.get("factor"), bid.get("effective_price")]
        cells.append(
            _("yes") if bid.get("qualified") else _("no: %s") % "; ".join(bid.get("reasons", []))
        )
        won = bid.get("bid") == winner
        return format_html(
            "<tr{}>{}</tr>",
            format_html(' style="font-weight: bold" data-winner="{}"', bid.get("bid"))
            if won
            else "",
            format_html_join("", "<td>{}</td>", ((cell,) for cell in cells)),
        )

    rule = (
        _("Quality-adjusted: lowest price / quality factor, factor = %(formula)s.")
        % {"formula": explanation.get("factor")}
        if adjusted
        else _(
            "Lowest unit price among qualified bids; ties to the better scorecard, "
            "then the earlier bid."
        )
    )
    return format_html(
        '<p>{}</p><table class="award"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
        '<p data-testid="award-why"><b>{}</b> {}</p>',
        rule,
        format_html_join("", "<th>{}</th>", ((h,) for h in head)),
        format_html_join("", "{}", ((row(bid),) for bid in explanation.get("bids", []))),
        _("Winner:") if winner else _("No award:"),
        explanation.get("why", ""),
    )


@admin.register(Tender)
class TenderAdmin(ServiceAddAdmin):
    list_display = [
        "id",
        "product",
        "quantity",
        "status",
        "closes_at",
        "quality_adjusted",
        "bid_count",
        "winner",
        "opened_by",
    ]
    list_filter = [ClosingFilter, "status", "quality_adjusted"]
    search_fields = ["product__title_en", "product__title_zh", "required_test"]
    list_select_related = ["product", "winning_bid__supplier", "opened_by"]
    autocomplete_fields = ["product"]
    form = TenderOpenForm
    view_fields = [
        "product",
        "quantity",
        "closes_at",
        "min_score",
        "max_return_rate",
        "required_test",
        "quality_adjusted",
        "status",
        "opened_by",
        "opened_at",
        "closed_at",
        "winner",
        "award",
    ]
    actions = ["close_now", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tender]:
        return (
            super()
            .get_queryset(request)
            .select_related("product", "winning_bid__supplier", "opened_by")
            .annotate(bid_count=Count("bids"))
        )

    def get_fields(self, request: HttpRequest, obj: Tender | None = None) -> Any:
        return TenderOpenForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Tender | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: Tender | None) -> Any:
        return [] if obj is None else [BidInline]

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> Tender:
        return tender_open(
            data["product"],
            quantity=data["quantity"],
            closes_at=data["closes_at"],
            actor=admin_actor(request),
            min_score=data.get("min_score"),
            max_return_rate=data.get("max_return_rate"),
            required_test=data.get("required_test") or "",
            quality_adjusted=bool(data.get("quality_adjusted")),
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for closing; a tender is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("bids"), ordering="bid_count")
    def bid_count(self, tender: Tender) -> int:
        return getattr(tender, "bid_count", 0)

    @admin.display(description=_("winner"))
    def winner(self, tender: Tender) -> str:
        bid = tender.winning_bid
        if bid is None:
            return EMPTY
        return f"{bid.supplier.name_en} ({money(bid.unit_price)})"

    @admin.display(description=_("award"))
    def award(self, tender: Tender) -> str:
        return award_html(tender)

    @admin.action(description=_("Close now (due tenders)"), permissions=["change"])
    def close_now(self, request: HttpRequest, queryset: QuerySet[Tender]) -> None:
        actor = admin_actor(request)
        # The service returns a closed tender as it is; say so here rather than count it.
        closed = [tender for tender in queryset if tender.status != Tender.Status.OPEN]
        for tender in closed:
            self.message_user(request, f"{tender}: {_('Already closed.')}", level=messages.ERROR)
        done = apply_each(
            self,
            request,
            queryset.filter(status=Tender.Status.OPEN),
            lambda tender: tender_close(tender, actor=actor),
        )
        if done:
            n = len(done)
            awarded = sum(1 for t in done if t.status == Tender.Status.AWARDED)
            report_success(
                self,
                request,
                ngettext(
                    "%(n)d tender closed (%(awarded)d awarded).",
                    "%(n)d tenders closed (%(awarded)d awarded).",
                    n,
                )
                % {"n": n, "awarded": awarded},
            )
