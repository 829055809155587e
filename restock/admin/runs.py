"""The planning runs for operators: each run's chunks (which listings, how many tries, when
sent and done, the open proposals they left, the last error), the run's progress, and the
"Run restock planning now" button, which starts a run as the nightly beat job does (the chunks
go to the workers; this page follows them)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.admin_base import ReadOnlyAdmin, admin_actor, report_success
from marketplace.formatting import EMPTY, when
from marketplace.models import JobRun

from ..models import PlanChunk
from ..services.runs import JOB, PlanSummary, plan_start, plan_summary

# Who may start a run: planning writes the restock proposals.
RUN_PERMISSION = "restock.change_restockproposal"


def _runs() -> QuerySet[JobRun]:
    return JobRun.objects.filter(name=JOB).order_by("-started_at", "-pk")


def progress_html(run: JobRun) -> str:
    """A run's progress bar and its counts (listings planned of the run's listings)."""
    percent = run.percent or 0
    return format_html(
        '<progress max="100" value="{}"></progress> {}% ({} / {})',
        percent,
        percent,
        f"{run.done:,}",
        f"{run.total or 0:,}",
    )


def _run_outcome(run: JobRun) -> str:
    """What became of a run, in the reader's language: its counts, or why it failed."""
    if run.status == JobRun.Status.FAILED:
        superseded = re.match(r"superseded by run (\d+)", run.summary)
        if superseded:
            return _("Superseded by run #%(n)s, which plans the same listings with newer data.") % {
                "n": superseded.group(1)
            }
        return _("Failed: %(error)s") % {"error": run.summary}
    return summary_words(plan_summary(run)) if run.summary else ""


def summary_words(summary: PlanSummary) -> str:
    """A finished run's counts in words, in the active language, each with its plural (the
    run's stored summary is the job's English log line)."""
    return _("%(listings)s in %(chunks)s (%(attempts)s): %(proposals)s") % {
        "listings": ngettext("%(n)s listing planned", "%(n)s listings planned", summary.listings)
        % {"n": f"{summary.listings:,}"},
        "chunks": ngettext("%(n)s chunk", "%(n)s chunks", summary.chunks)
        % {"n": f"{summary.chunks:,}"},
        "attempts": ngettext("%(n)s attempt", "%(n)s attempts", summary.attempts)
        % {"n": f"{summary.attempts:,}"},
        "proposals": ngettext("%(n)s open proposal", "%(n)s open proposals", summary.proposals)
        % {"n": f"{summary.proposals:,}"},
    }


class RunFilter(admin.SimpleListFilter):
    title = _("planning run")
    parameter_name = "run"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (str(run.pk), f"#{run.pk} {when(run.started_at)} ({run.get_status_display()})")
            for run in _runs()[:20]
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(run_id=self.value())
        return queryset


class DoneFilter(admin.SimpleListFilter):
    title = _("done")
    parameter_name = "done"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Done")), ("no", _("Not done"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(done_at__isnull=self.value() == "no")
        return queryset


@admin.register(PlanChunk)
class PlanChunkAdmin(ReadOnlyAdmin):
    change_list_template = "admin/restock/planchunk/change_list.html"
    list_display = [
        "run_shown",
        "index",
        "listing_ids",
        "listings",
        "attempts",
        "done_shown",
        "proposals",
        "error_shown",
    ]
    list_filter = [RunFilter, DoneFilter]
    list_select_related = ["run"]
    ordering = ["-run__started_at", "-run_id", "index"]
    list_per_page = 100
    show_full_result_count = False

    @admin.display(description=_("run"), ordering="run_id")
    def run_shown(self, chunk: PlanChunk) -> str:
        return f"#{chunk.run_id} ({chunk.run.get_status_display()})"

    @admin.display(description=_("listing ids"), ordering="first_listing")
    def listing_ids(self, chunk: PlanChunk) -> str:
        return f"{chunk.first_listing}\u2013{chunk.last_listing}"

    @admin.display(description=_("sent"), ordering="sent_at")
    def sent_shown(self, chunk: PlanChunk) -> str:
        return when(chunk.sent_at)

    @admin.display(description=_("done"), ordering="done_at")
    def done_shown(self, chunk: PlanChunk) -> str:
        return when(chunk.done_at)

    @admin.display(description=_("last error"))
    def error_shown(self, chunk: PlanChunk) -> str:
        return chunk.error[:120] if chunk.error else EMPTY

    def may_run(self, request: HttpRequest) -> bool:
        return request.user.has_perm(RUN_PERMISSION)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "plan-now/",
                self.admin_site.admin_view(self.plan_now_view),
                name="restock_planchunk_plan_now",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        chosen = request.GET.get("run", "")
        run = (_runs().filter(pk=chosen) if chosen.isdigit() else _runs()).first()
        extra: dict[str, Any] = {"plan_run": run}
        if run is not None:
            extra.update(
                plan_run_progress=progress_html(run),
                plan_run_url=reverse("admin:marketplace_jobrun_change", args=[run.pk]),
                plan_run_started=when(run.started_at),
                plan_run_finished=when(run.finished_at),
                plan_run_summary=_run_outcome(run),
            )
        if self.may_run(request):
            extra["plan_now_url"] = reverse("admin:restock_planchunk_plan_now")
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def plan_now_view(self, request: HttpRequest) -> HttpResponse:
        """Start a run now (as the nightly job does): its chunks go to the workers, and the
        chunks' page follows its progress."""
        if request.method != "POST" or not self.may_run(request):
            raise PermissionDenied
        run = plan_start(actor=admin_actor(request))
        report_success(
            self,
            request,
            str(
                _(
                    "Restock planning run #%(run)d started: %(listings)d listings in the "
                    "chunks below, planned by the workers."
                )
            )
            % {"run": run.pk, "listings": run.total or 0},
        )
        return redirect(reverse("admin:restock_planchunk_changelist") + f"?run={run.pk}")
