"""Receiving and inspection: counting lines, the sampling plan, sampling states."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from logistics.services.inbound.common import MAX_UNITS
from marketplace.admin_base import (
    ActionsOnlyAdmin,
    PageExtrasMixin,
    ReadOnlyAdmin,
    admin_actor,
    form_error,
    form_page,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError

from ..models import (
    InboundLine,
    Inspection,
    SamplingState,
)
from ..services.inbound.inspection import inspection_plan, line_inspect, sampling_restart
from ..services.inbound.receiving import line_count
from .common import (
    EMPTY,
    InboundLineColumns,
    _link,
    _listing_title,
    _over_short,
)


class CountForm(forms.Form):
    received = forms.IntegerField(
        # Not "received": that word is the time of receipt elsewhere (收货时间 in Chinese).
        label=_("units received"),
        min_value=0,
        max_value=MAX_UNITS,
        help_text=_("Every unit that arrived, damaged or not."),
    )
    damaged = forms.IntegerField(
        label=_("damaged"),
        min_value=0,
        max_value=MAX_UNITS,
        initial=0,
        help_text=_("Of the received units."),
    )


class InspectForm(forms.Form):
    defects = forms.IntegerField(
        label=_("defectives found"),
        min_value=0,
        max_value=MAX_UNITS,
        help_text=_("Defective units in the sample."),
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    resubmitted = forms.BooleanField(
        label=_("resubmitted lot"),
        required=False,
        help_text=_("A lot sent again after a rejection; it does not count for switching."),
    )


class CountedFilter(admin.SimpleListFilter):
    title = _("receiving")
    parameter_name = "stage"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("uncounted", _("Not counted")),
            ("uninspected", _("Counted, not inspected")),
            ("inspected", _("Inspected")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "uncounted":
            return queryset.filter(received__isnull=True)
        if self.value() == "uninspected":
            return queryset.filter(received__isnull=False, inspection__isnull=True)
        if self.value() == "inspected":
            return queryset.filter(inspection__isnull=False)
        return queryset


@admin.register(InboundLine)
class InboundLineAdmin(InboundLineColumns, ReadOnlyAdmin):
    """The receiving desk: each line is counted (received, damaged) on its count page and
    inspected on its inspect page, which shows the sampling plan before anything is entered.
    Never edited here: counted and inspected on those pages, through the services."""

    list_display = [
        "id",
        "shipment_link",
        "supplier",
        "listing_title",
        "declared",
        "received",
        "damaged",
        "over_short",
        "result",
        "work",
    ]
    list_filter = [CountedFilter, "shipment__status", "shipment__warehouse"]
    search_fields = ["shipment__waybill", "shipment__supplier__name_en"]
    list_select_related = ["shipment__supplier", "listing__product", "inspection"]
    show_full_result_count = False
    readonly_fields = (
        "shipment_link",
        "supplier",
        "listing_title",
        "declared",
        "received",
        "damaged",
        "over_short",
        "counted_at",
        "result",
        "work",
    )
    fields = readonly_fields

    @admin.display(description=_("shipment"), ordering="shipment_id")
    def shipment_link(self, line: InboundLine) -> str:
        return _link(
            "logistics_inboundshipment_change",
            line.shipment_id,
            f"#{line.shipment_id} ({line.shipment.get_status_display()})",
        )

    @admin.display(description=_("supplier"))
    def supplier(self, line: InboundLine) -> Any:
        return line.shipment.supplier

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/count/",
                self.admin_site.admin_view(self.count_view),
                name="logistics_inboundline_count",
            ),
            path(
                "<int:object_id>/inspect/",
                self.admin_site.admin_view(self.inspect_view),
                name="logistics_inboundline_inspect",
            ),
            *super().get_urls(),
        ]

    def _line(self, object_id: int) -> InboundLine:
        return get_object_or_404(
            InboundLine.objects.select_related(
                "shipment__supplier", "shipment__warehouse", "listing__product__category"
            ),
            pk=object_id,
        )

    def count_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Receiving counts a line: line_count, which starts receiving on an arrived shipment."""
        if not request.user.has_perm("logistics.change_inboundline"):
            raise PermissionDenied
        line = self._line(object_id)
        shipment_url = reverse("admin:logistics_inboundshipment_change", args=[line.shipment_id])
        initial = {"received": line.received, "damaged": line.damaged}
        form = CountForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                line_count(
                    line,
                    received=form.cleaned_data["received"],
                    damaged=form.cleaned_data["damaged"],
                    actor=admin_actor(request),
                )
            except DomainError as error:
                form_error(form, error)
            else:
                report_success(
                    self,
                    request,
                    str(_("Line counted: %(received)d received, %(damaged)d damaged, %(diff)s."))
                    % {
                        "received": line.received,
                        "damaged": line.damaged,
                        "diff": _over_short(line),
                    },
                )
                return redirect(shipment_url)
        return form_page(
            self,
            request,
            title=_("Count line %(id)s") % {"id": line.pk},
            subject=line.shipment,
            subject_url=shipment_url,
            intro=_("%(listing)s: %(n)d units declared by %(supplier)s.")
            % {
                "listing": _listing_title(line.listing),
                "n": line.declared,
                "supplier": line.shipment.supplier,
            },
            form=form,
            submit=_("Record the count"),
        )

    def inspect_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The inspector sees the plan (severity and why, lot size, AQL, code letter, sample
        size, Ac and Re) before entering anything, then records the defectives via line_inspect;
        once inspected the page shows the result."""
        if not request.user.has_perm("logistics.change_inspection"):
            raise PermissionDenied
        line = self._line(object_id)
        this_url = reverse("admin:logistics_inboundline_inspect", args=[line.pk])
        inspection = Inspection.objects.filter(line=line).select_related("inspector").first()
        plan = None
        form = None
        state = None
        if inspection is None and line.received is not None:
            plan = inspection_plan(line)
            if plan.discontinued:
                state = SamplingState.objects.filter(
                    supplier_id=line.listing.supplier_id, product_id=line.listing.product_id
                ).first()
            else:
                form = InspectForm(request.POST or None)
        if request.method == "POST":
            if form is None:
                raise PermissionDenied
            if form.is_valid():
                try:
                    inspection = line_inspect(
                        line,
                        defects=form.cleaned_data["defects"],
                        actor=admin_actor(request),
                        notes=form.cleaned_data["notes"],
                        resubmitted=form.cleaned_data["resubmitted"],
                    )
                except DomainError as error:
                    form_error(form, error)
                else:
                    level = (
                        messages.SUCCESS
                        if inspection.result == Inspection.Result.ACCEPTED
                        else messages.WARNING
                    )
                    self.message_user(
                        request,
                        str(_("Lot %(result)s.")) % {"result": inspection.get_result_display()},
                        level,
                    )
                    return redirect(this_url)
        return TemplateResponse(
            request,
            "admin/logistics/inboundline/inspect.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Inspect line %(id)s") % {"id": line.pk},
                "opts": self.opts,
                "line": line,
                "listing_title": _listing_title(line.listing),
                "shipment_url": reverse(
                    "admin:logistics_inboundshipment_change", args=[line.shipment_id]
                ),
                "plan": plan,
                "lot_size": line.sound,
                "inspection": inspection,
                "state": state,
                "form": form,
            },
        )


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    """The record of every lot's inspection, with the plan it was inspected by."""

    list_display = [
        "inspected_at",
        "line_link",
        "supplier",
        "product",
        "lot_size",
        "aql",
        "severity",
        "letter",
        "sample_size",
        "accept_number",
        "reject_number",
        "defects",
        "result",
        "resubmitted",
        "inspector",
    ]
    list_filter = ["result", "severity", "resubmitted", "inspected_at"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "product__title_en", "notes"]
    list_select_related = ["supplier", "product", "inspector"]
    show_full_result_count = False
    readonly_fields = (
        "line_link",
        "supplier",
        "product",
        "lot_size",
        "aql",
        "severity",
        "severity_reason",
        "letter",
        "sample_size",
        "accept_number",
        "reject_number",
        "defects",
        "result",
        "resubmitted",
        "notes",
        "inspected_at",
        "inspector",
    )
    fields = readonly_fields
    actions = [export_csv]

    @admin.display(description=_("line"), ordering="line_id")
    def line_link(self, inspection: Inspection) -> str:
        return _link("logistics_inboundline_inspect", inspection.line_id, f"#{inspection.line_id}")


class RestartForm(forms.Form):
    corrective_action = forms.CharField(
        label=_("corrective action"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("What the supplier changed; inspection restarts on tightened."),
    )


@admin.register(SamplingState)
class SamplingStateAdmin(PageExtrasMixin, ActionsOnlyAdmin):
    """Inspection severity per supplier and product, moved by the switching rules; a
    discontinued one restarts on tightened once a corrective action is recorded (its page)."""

    # Never added here: made by the first inspection.
    # The change permission is for the restart; a state is never edited.

    change_form_template = "admin/logistics/samplingstate/change_form.html"
    list_display = ["supplier", "product", "severity", "reason", "since", "restart"]
    list_filter = ["severity"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "product__title_en"]
    list_select_related = ["supplier", "product"]
    readonly_fields = ("supplier", "product", "severity", "reason", "since")
    fields = readonly_fields

    @admin.display(description=_("restart"))
    def restart(self, state: SamplingState) -> str:
        if state.severity != SamplingState.Severity.DISCONTINUED:
            return EMPTY
        return _link("logistics_samplingstate_restart", state.pk, _("restart on tightened"))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/restart/",
                self.admin_site.admin_view(self.restart_view),
                name="logistics_samplingstate_restart",
            ),
            *super().get_urls(),
        ]

    def page_extras(self, request: HttpRequest, state: SamplingState) -> dict[str, Any]:
        if state.severity != SamplingState.Severity.DISCONTINUED or not self.has_change_permission(
            request
        ):
            return {}
        return {
            "restart_form": RestartForm(),
            "restart_url": reverse("admin:logistics_samplingstate_restart", args=[state.pk]),
        }

    def restart_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        state = get_object_or_404(
            SamplingState.objects.select_related("supplier", "product"), pk=object_id
        )
        change_url = reverse("admin:logistics_samplingstate_change", args=[state.pk])
        form = RestartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                sampling_restart(
                    state,
                    actor=admin_actor(request),
                    corrective_action=form.cleaned_data["corrective_action"],
                )
            except DomainError as error:
                form_error(form, error)
            else:
                report_success(self, request, str(_("Inspection restarts on tightened.")))
                return redirect(change_url)
        return form_page(
            self,
            request,
            title=_("Restart inspection on tightened"),
            subject=f"{state.supplier} · {state.product}",
            subject_url=change_url,
            intro=_("Now %(severity)s: %(reason)s.")
            % {"severity": state.get_severity_display(), "reason": state.reason},
            form=form,
            submit=_("Restart on tightened"),
        )
