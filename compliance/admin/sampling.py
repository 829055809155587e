"""The sampling draws and their requests, for compliance officers.

A draw's page shows every candidate, heaviest first, with the factors of its weight, its cost,
its key's rank and whether it was picked or passed over for the budget: why each listing was
picked. A request's page shows its weight and factors, and the forms that move it (send to a
lab, cancel); pulling units is a stock movement, so that form and the "draw now" button come
from logistics/admin/test_purchases.py, which registers the final screens on top of these."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    PageExtrasMixin,
    ReadOnlyAdmin,
    admin_actor,
    apply_each,
    form_error,
    form_page,
    report_success,
)
from marketplace.errors import DomainError
from marketplace.formatting import money_display
from suppliers.models import Standing

from ..models import Lab, SamplingDraw, SamplingRequest
from ..services.sampling import sampling_request_cancel, sampling_send_to_lab

EMPTY = "-"
# The factors as the officer reads them, in the weight's order.
FACTOR_LABELS = [
    ("risk_factor", _("category risk"), "risk"),
    ("returns_factor", _("returns"), "return_rate"),
    ("standing_factor", _("standing"), "standing"),
    # Draws made before the standing replaced it weighed the scorecard's score.
    ("score_factor", _("scorecard"), "score"),
    ("staleness_factor", _("since last pass"), "days_since_pass"),
    ("failures_factor", _("past failures"), "failures"),
]
OUTCOMES = {"picked": _("picked"), "over_budget": _("passed over: over the day's budget")}


def factors_text(factors: dict[str, Any]) -> str:
    """`category risk high x3 · returns 0.05 x1.5 · ...`: each factor with its source."""
    parts = []
    for key, label, source in FACTOR_LABELS:
        if key not in factors:
            continue
        value = factors.get(source)
        shown = _("never") if source == "days_since_pass" and value is None else value
        if source == "standing" and value in Standing.values:
            shown = Standing(value).label
        shown = EMPTY if shown is None else shown
        multiplier = Decimal(factors[key]).normalize()
        parts.append(f"{label} {shown} x{multiplier:f}")
    if factors.get("return_source"):
        parts.append(str(_("returns from: %(source)s")) % {"source": factors["return_source"]})
    return " · ".join(parts)


DRAW_FIELDS: tuple[str, ...] = (
    "drawn_on",
    "seed",
    "budget_shown",
    "allowance_shown",
    "spent_shown",
    "candidates",
    "created_at",
    "candidate_weights",
)


@admin.register(SamplingDraw)
class SamplingDrawAdmin(ReadOnlyAdmin):
    budget_shown = money_display("budget_cny", _("budget left this month (CNY)"))
    allowance_shown = money_display("allowance_cny", _("allowed today (CNY)"))
    spent_shown = money_display("spent_cny", _("spent by this draw (CNY)"))
    list_display = [
        "drawn_on",
        "seed",
        "budget_shown",
        "allowance_shown",
        "spent_shown",
        "candidates",
        "picked",
        "created_at",
    ]
    date_hierarchy = "drawn_on"
    fields = DRAW_FIELDS
    readonly_fields = DRAW_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[SamplingDraw]:
        return super().get_queryset(request).annotate(picked_count=Count("requests"))

    @admin.display(description=_("picked"), ordering="picked_count")
    def picked(self, draw: SamplingDraw) -> int:
        return getattr(draw, "picked_count", 0)

    @admin.display(description=_("every candidate, heaviest first"))
    def candidate_weights(self, draw: SamplingDraw) -> SafeString:
        rows = sorted(
            draw.weights.items(),
            key=lambda item: (-Decimal(item[1]["weight"]), item[1]["rank"]),
        )
        head = format_html(
            "<tr>{}</tr>",
            format_html_join(
                "",
                "<th>{}</th>",
                (
                    (label,)
                    for label in (
                        _("listing"),
                        _("weight"),
                        _("why"),
                        _("cost (CNY)"),
                        _("standards"),
                        _("key rank"),
                        _("outcome"),
                    )
                ),
            ),
        )
        body = format_html_join(
            "",
            '<tr data-listing="{}"><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    pk,
                    reverse("admin:catalogue_listing_change", args=[pk]),
                    f"{entry.get('listing', '')} (#{pk})",
                    entry["weight"],
                    factors_text(entry["factors"]),
                    entry["cost"],
                    ", ".join(entry.get("standards", [])),
                    entry["rank"],
                    OUTCOMES.get(entry["outcome"], entry["outcome"]),
                )
                for pk, entry in rows
            ),
        )
        return format_html('<table data-testid="candidates">{}{}</table>', head, body)


class SendToLabForm(forms.Form):
    lab = forms.ModelChoiceField(
        label=_("Lab"), queryset=Lab.objects.filter(status=Lab.Status.ACTIVE)
    )
    sent_on = forms.DateField(label=_("Sent on"), initial=timezone.localdate)


class CancelActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": _("required to cancel")}),
    )


REQUEST_FIELDS: tuple[str, ...] = (
    "draw",
    "listing",
    "supplier",
    "status",
    "status_changed_at",
    "weight",
    "why",
    "cost_shown",
    "tested_standards",
    "units",
    "units_pulled_at",
    "stock_movement",
    "purchase_reference",
    "purchase_amount_shown",
    "lab",
    "sent_to_lab_on",
    "results",
    "cancel_reason",
    "created_by",
    "created_at",
)


@admin.register(SamplingRequest)
class SamplingRequestAdmin(PageExtrasMixin, ActionsOnlyAdmin):
    cost_shown = money_display("cost_cny", _("test cost (CNY)"))
    purchase_amount_shown = money_display("purchase_amount_cny", _("purchase amount (CNY)"))
    list_display = [
        "pk",
        "listing_title",
        "supplier",
        "status",
        "weight",
        "why",
        "cost_shown",
        "draw",
        "lab",
        "sent_to_lab_on",
        "created_at",
    ]
    list_filter = ["status", "draw__drawn_on"]
    search_fields = ["listing__product__title_en", "supplier__name_en", "purchase_reference"]
    list_select_related = ["listing__product", "supplier", "draw", "lab"]
    fields = REQUEST_FIELDS
    readonly_fields = REQUEST_FIELDS
    action_form = CancelActionForm
    actions = ["cancel"]

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, request: SamplingRequest) -> str:
        return f"{request.listing.product.title_en} (#{request.listing_id})"

    @admin.display(description=_("why"))
    def why(self, request: SamplingRequest) -> str:
        return factors_text(request.factors)

    @admin.display(description=_("standards to test"))
    def tested_standards(self, request: SamplingRequest) -> str:
        return ", ".join(s.code for s in request.standards.all()) or EMPTY

    @admin.display(description=_("results"))
    def results(self, request: SamplingRequest) -> SafeString | str:
        records = list(request.test_records.select_related("standard"))
        if not records:
            return EMPTY
        return format_html_join(
            ", ",
            '<a href="{}">{} {}: {}</a>',
            (
                (
                    reverse("admin:compliance_testrecord_change", args=[r.pk]),
                    r.standard.code,
                    r.report_number,
                    r.get_result_display(),
                )
                for r in records
            ),
        )

    # --- Moves ---

    def may_move(self, request: HttpRequest) -> bool:
        return request.user.has_perm("compliance.change_samplingrequest")

    @admin.action(
        description=_("Cancel the selected planned requests (give the reason)"),
        permissions=["change"],
    )
    def cancel(self, request: HttpRequest, queryset: QuerySet[SamplingRequest]) -> None:
        reason = request.POST.get("reason", "").strip()
        apply_each(
            self,
            request,
            queryset,
            lambda row: sampling_request_cancel(row, reason=reason, actor=admin_actor(request)),
            ngettext_lazy("%(n)d request cancelled.", "%(n)d requests cancelled.", "n"),
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/send-to-lab/",
                self.admin_site.admin_view(self.send_to_lab_view),
                name="compliance_samplingrequest_send_to_lab",
            ),
            *super().get_urls(),
        ]

    def page_extras(self, request: HttpRequest, obj: SamplingRequest) -> dict[str, Any]:
        if not self.may_move(request) or obj.status != SamplingRequest.Status.UNITS_PULLED:
            return {}
        return {
            "send_to_lab_form": SendToLabForm(),
            "send_to_lab_url": reverse(
                "admin:compliance_samplingrequest_send_to_lab", args=[obj.pk]
            ),
        }

    def send_to_lab_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.may_move(request):
            raise PermissionDenied
        sample = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:compliance_samplingrequest_change", args=[sample.pk])
        form = SendToLabForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                sampling_send_to_lab(
                    sample,
                    lab=form.cleaned_data["lab"],
                    sent_on=form.cleaned_data["sent_on"],
                    actor=admin_actor(request),
                )
            except DomainError as error:
                form_error(form, error)
            else:
                report_success(self, request, str(_("Sent to the lab.")))
                return redirect(change_url)
        return form_page(
            self,
            request,
            title=_("Send to a lab"),
            subject=str(sample),
            subject_url=change_url,
            form=form,
            submit=_("Sent to the lab"),
        )
