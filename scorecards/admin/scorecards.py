"""Suppliers' scorecards for operators: one row a supplier a day (the list fits 1366 px: the
components as one compact column), the detail with each component's counts, interval, score and
weight, and two ways to recompute: the selected suppliers' scorecards of today at once (an
action), or every supplier's in a worker ("Recompute scorecards now", its progress a job run)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from marketplace.admin_base import ReadOnlyAdmin, SupplierNameColumn, admin_actor, report_success
from marketplace.celery import enqueue_on_commit
from suppliers.models import Scorecard

from ..selectors.cards import explain, scorecards_visible_to
from ..services.compute import compute_scorecards
from ..tasks import compute_scorecards_task

# The components' short names for the list's compact column.
SHORT = {
    "on_time": pgettext_lazy("scorecard column", "OT"),
    "quality": pgettext_lazy("scorecard column", "QC"),
    "returns": pgettext_lazy("scorecard column", "RT"),
    "return_defects": pgettext_lazy("scorecard column", "DF"),
    "lab_pass": pgettext_lazy("scorecard column", "LAB"),
    "corrective": pgettext_lazy("scorecard column", "CA"),
}
LABELS = {
    "on_time": _("on time"),
    "quality": _("warehouse quality"),
    "returns": _("consumer returns"),
    "return_defects": _("defects of returns"),
    "lab_pass": _("lab tests"),
    "corrective": _("corrective actions"),
}
NO_DATA = _("no data")


def _counted(kind: str, n: int, hits: int) -> str:
    if kind != "count":
        return f"{hits} / {n}"
    if not n:
        return str(_("no factory audit"))
    return str(_("%(n)s open")) % {"n": hits}


def _percent(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@admin.register(Scorecard)
class ScorecardAdmin(SupplierNameColumn, ReadOnlyAdmin):
    list_display = ["supplier_name", "day", "score", "standing", "components_compact"]
    list_filter = ["standing", "day"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "=supplier__id"]
    date_hierarchy = "day"
    show_full_result_count = False
    list_select_related = ["supplier"]
    ordering = ["-day", "supplier_id"]
    actions = ["recompute_selected"]
    fields = (
        "supplier_link",
        "day",
        "computed_at",
        "score",
        "score_high",
        "standing",
        "components_table",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scorecard]:
        return scorecards_visible_to(admin_actor(request)).select_related("supplier")

    @admin.display(description=_("supplier"))
    def supplier_link(self, card: Scorecard) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:suppliers_supplier_change", args=[card.supplier_id]),
            card.supplier,
        )

    @admin.display(description=_("components"))
    def components_compact(self, card: Scorecard) -> SafeString:
        parts = [
            (
                str(LABELS[c.name]),
                SHORT[c.name],
                "—" if c.score is None else f"{c.score:.0f}",
            )
            for c in explain(card)
        ]
        return format_html_join(" · ", '<span title="{}">{} {}</span>', parts)

    @admin.display(description=_("components"))
    def components_table(self, card: Scorecard) -> SafeString:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    LABELS[c.name],
                    _counted(c.kind, c.n, c.hits),
                    "—"
                    if c.low is None
                    else _("%(low)s to %(high)s")
                    % {"low": _percent(c.low), "high": _percent(c.high)},
                    NO_DATA if c.score is None else c.score,
                    "" if c.score_high is None else c.score_high,
                    f"{c.weight}" + ("" if c.share is None else f" ({_percent(c.share)})"),
                )
                for c in explain(card)
            ),
        )
        return format_html(
            '<table data-testid="components"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("component"),
            _("counted (bad or good / all)"),
            _("95% interval of the rate"),
            _("score"),
            _("at best"),
            _("weight (share)"),
            rows,
        )

    def may_recompute(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("suppliers.view_scorecard"))

    @admin.action(description=_("Recompute today's scorecards of the selected suppliers"))
    def recompute_selected(self, request: HttpRequest, queryset: QuerySet[Scorecard]) -> None:
        if not self.may_recompute(request):
            raise PermissionDenied
        ids = sorted(set(queryset.values_list("supplier_id", flat=True)))
        run = compute_scorecards(supplier_ids=ids)
        report_success(
            self,
            request,
            ngettext(
                "%(n)d supplier's scorecard recomputed for %(day)s.",
                "%(n)d suppliers' scorecards recomputed for %(day)s.",
                run.suppliers,
            )
            % {"n": run.suppliers, "day": f"{run.day:%Y-%m-%d}"},
        )

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "recompute-now/",
                self.admin_site.admin_view(self.recompute_now_view),
                name="suppliers_scorecard_recompute_now",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self.may_recompute(request):
            extra_context = {
                **(extra_context or {}),
                "recompute_now_url": reverse("admin:suppliers_scorecard_recompute_now"),
            }
        return super().changelist_view(request, extra_context)

    def recompute_now_view(self, request: HttpRequest) -> HttpResponse:
        """Every supplier's scorecard of today, in a worker; its progress shows as a job run."""
        if request.method != "POST" or not self.may_recompute(request):
            raise PermissionDenied
        enqueue_on_commit(compute_scorecards_task)
        report_success(
            self,
            request,
            str(
                _(
                    "The scorecards are being recomputed: the progress is under job runs; the "
                    "scorecards appear here when done."
                )
            ),
        )
        return redirect(reverse("admin:marketplace_jobrun_changelist") + "?name=scorecards")
