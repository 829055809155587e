"""Restock proposals and forecasts in the admin: operators read each proposal with its
arithmetic in words, issue its stocking order straight away (the proposed quantity, or the one
given) or snooze it for some days; forecasts are read-only (the planning job writes them)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from marketplace.admin_base import ActionsOnlyAdmin, ReadOnlyAdmin, admin_actor, apply_each
from marketplace.admin_export import export_csv
from marketplace.formatting import EMPTY, local_name, when
from marketplace.jobs import job_label
from marketplace.models import JobRun

from ..methods import METHOD_LABELS
from ..models import Forecast, RestockProposal
from ..selectors.proposals import (
    arithmetic_of,
    method_label,
    number,
    proposals_visible_to,
    units,
)
from ..services.proposals import SNOOZE_DAYS_MAX, proposal_issue, proposal_snooze


class ProposalActionForm(ActionForm):
    quantity = forms.IntegerField(
        label=_("Quantity:"),
        required=False,
        min_value=1,
        widget=forms.NumberInput(attrs={"placeholder": _("blank: as proposed"), "size": 10}),
    )
    days = forms.IntegerField(
        label=_("Days:"),
        required=False,
        min_value=1,
        max_value=SNOOZE_DAYS_MAX,
        widget=forms.NumberInput(attrs={"placeholder": _("to snooze"), "size": 6}),
    )


def _number_from(request: HttpRequest, name: str) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # refused by the service, naming the field


@admin.register(RestockProposal)
class RestockProposalAdmin(ActionsOnlyAdmin):
    """Proposals are made and updated by the planning job, answered by the supplier in the
    portal; here operators issue one directly or snooze it, and read why it asks for what it
    asks."""

    action_form = ProposalActionForm
    # What fits beside the navigation and the filters at 1366 px; the supplier, the times and
    # the stocking order are on each proposal's page (and the supplier is a filter).
    list_display = ["id", "state", "listing_title", "quantity", "expires"]
    list_filter = [
        "status",
        "urgent",
        ("supplier", admin.RelatedOnlyFieldListFilter),
        "proposed_at",
    ]
    search_fields = [
        "=listing__id",
        "listing__product__title_en",
        "listing__product__title_zh",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    list_select_related = ["supplier", "listing__product", "stocking_order"]
    show_full_result_count = False
    readonly_fields = [
        "listing_link",
        "supplier_link",
        "status",
        "urgent",
        "quantity",
        "arithmetic",
        "method_name",
        "safety_method",
        "cap",
        "proposed_at",
        "updated_at",
        "expires_at",
        "snoozed_until",
        "run_link",
        "decided_at",
        "decided_by_name",
        "decline_reason",
        "ship_by",
        "stocking_order_link",
    ]
    fieldsets = [
        (None, {"fields": ["listing_link", "supplier_link", "status", "urgent", "quantity"]}),
        (
            _("Why this quantity"),
            {"fields": ["arithmetic", "method_name", "safety_method", "cap"]},
        ),
        (
            _("Timing"),
            {"fields": ["proposed_at", "updated_at", "expires_at", "snoozed_until", "run_link"]},
        ),
        (
            _("Decision"),
            {
                "fields": [
                    "decided_at",
                    "decided_by_name",
                    "decline_reason",
                    "ship_by",
                    "stocking_order_link",
                ]
            },
        ),
    ]
    actions = ["issue", "snooze", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RestockProposal]:
        return proposals_visible_to(admin_actor(request)).select_related("stocking_order")

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, proposal: RestockProposal) -> str:
        product = proposal.listing.product
        return f"#{proposal.listing_id} {local_name(product.title_en, product.title_zh)}"

    @admin.display(description=_("listing"))
    def listing_link(self, proposal: RestockProposal) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:catalogue_listing_change", args=[proposal.listing_id]),
            self.listing_title(proposal),
        )

    @admin.display(description=_("supplier"))
    def supplier_link(self, proposal: RestockProposal) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:suppliers_supplier_change", args=[proposal.supplier_id]),
            proposal.supplier,
        )

    @admin.display(description=_("forecast method"))
    def method_name(self, proposal: RestockProposal) -> str:
        return method_label(proposal.method)

    @admin.display(description=_("status"), ordering="status")
    def state(self, proposal: RestockProposal) -> str:
        words = [str(proposal.get_status_display())]
        if proposal.urgent:
            words.append(str(_("urgent")))
        if proposal.snoozed_until and proposal.status == RestockProposal.Status.OPEN:
            words.append(
                str(_("snoozed until %(day)s"))
                % {"day": date_format(proposal.snoozed_until, "DATE_FORMAT")}
            )
        return " · ".join(words)

    @admin.display(description=_("decided by"))
    def decided_by_name(self, proposal: RestockProposal) -> str:
        return str(proposal.decided_by) if proposal.decided_by_id else EMPTY

    @admin.display(description=_("stocking order"))
    def stocking_order_link(self, proposal: RestockProposal) -> str:
        if proposal.stocking_order_id is None:
            return EMPTY
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:logistics_stockingorder_change", args=[proposal.stocking_order_id]),
            proposal.stocking_order_id,
        )

    @admin.display(description=_("expires"), ordering="expires_at")
    def expires(self, proposal: RestockProposal) -> str:
        if proposal.status != RestockProposal.Status.OPEN:
            return when(proposal.expires_at)
        days = (proposal.expires_at - timezone.now()).days
        left = (
            ngettext("%(n)d day left", "%(n)d days left", days) % {"n": days}
            if days >= 0
            else _("due")
        )
        return f"{when(proposal.expires_at)} ({left})"

    @admin.display(description=_("the arithmetic"))
    def arithmetic(self, proposal: RestockProposal) -> str:
        forecast = Forecast.objects.filter(listing_id=proposal.listing_id).first()
        lines = arithmetic_of(proposal, forecast).lines()
        return format_html(
            '<p data-testid="arithmetic">{}</p>',
            format_html_join(mark_safe(";<br>"), "{}", ((line,) for line in lines)),
        )

    @admin.display(description=_("planning run"))
    def run_link(self, proposal: RestockProposal) -> str:
        if proposal.run_id is None:
            return EMPTY
        run = JobRun.objects.filter(pk=proposal.run_id).first()
        if run is None:
            return EMPTY
        words = (
            f"#{run.pk} {job_label(run.name)} {when(run.started_at)} ({run.get_status_display()})"
        )
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:marketplace_jobrun_change", args=[run.pk]), words
        )

    @admin.action(
        description=_("Issue the stocking order (quantity: blank as proposed)"),
        permissions=["change"],
    )
    def issue(self, request: HttpRequest, queryset: QuerySet[RestockProposal]) -> None:
        actor, quantity = admin_actor(request), _number_from(request, "quantity")
        apply_each(
            self,
            request,
            queryset,
            lambda p: proposal_issue(p, actor=actor, quantity=quantity),
            ngettext_lazy("%(n)d stocking order issued.", "%(n)d stocking orders issued.", "n"),
        )

    @admin.action(description=_("Snooze for the days given"), permissions=["change"])
    def snooze(self, request: HttpRequest, queryset: QuerySet[RestockProposal]) -> None:
        actor, days = admin_actor(request), _number_from(request, "days")
        if days is None:
            self.message_user(request, _("Give the days to snooze for."), level="ERROR")
            return
        apply_each(
            self,
            request,
            queryset,
            lambda p: proposal_snooze(p, actor=actor, days=days),
            ngettext_lazy("%(n)d proposal snoozed.", "%(n)d proposals snoozed.", "n"),
        )


class MethodFilter(admin.SimpleListFilter):
    """Forecasts by method, named in words (the codes are the forecasting module's)."""

    title = _("method")
    parameter_name = "method"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(code, method_label(code)) for code in METHOD_LABELS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Forecast]) -> QuerySet[Forecast]:
        value = self.value()
        return queryset.filter(method=value) if value else queryset


@admin.register(Forecast)
class ForecastAdmin(ReadOnlyAdmin):
    """Each fully-managed listing's latest forecast, as the planning job left it."""

    # What fits at 1366 px; whether the fallback method was used, and when, are on the page.
    list_display = [
        "listing_title",
        "pattern",
        "method_name",
        "mase_shown",
        "rates",
        "trending",
        "dead_stock_since",
    ]
    list_filter = ["pattern", MethodFilter, "fallback", "trending"]
    search_fields = ["=listing__id", "listing__product__title_en", "listing__product__title_zh"]
    list_select_related = ["listing__product"]
    show_full_result_count = False
    readonly_fields = [
        "listing",
        "made_at",
        "pattern",
        "method_name",
        "fallback",
        "horizon_days",
        "mean_daily",
        "daily_figures",
        "mase",
        "adi",
        "cv2",
        "rate_7d",
        "rate_28d",
        "trending",
        "last_order_day",
        "dead_stock_since",
    ]
    fields = (*readonly_fields,)

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, forecast: Forecast) -> str:
        product = forecast.listing.product
        return f"#{forecast.listing_id} {local_name(product.title_en, product.title_zh)}"

    @admin.display(description=_("method"), ordering="method")
    def method_name(self, forecast: Forecast) -> str:
        return method_label(forecast.method)

    @admin.display(description=_("MASE"), ordering="mase")
    def mase_shown(self, forecast: Forecast) -> str:
        return number(None if forecast.mase is None else round(forecast.mase, 2))

    @admin.display(description=_("a day, 7 / 28 days"))
    def rates(self, forecast: Forecast) -> str:
        return f"{units(forecast.rate_7d)} / {units(forecast.rate_28d)}"

    @admin.display(description=_("dead stock since"))
    def dead_stock_since(self, forecast: Forecast) -> str:
        day = forecast.listing.dead_stock_since
        return date_format(day, "DATE_FORMAT") if day else EMPTY

    @admin.display(description=_("daily forecast"))
    def daily_figures(self, forecast: Forecast) -> str:
        return ", ".join(number(v) for v in forecast.daily) or EMPTY
