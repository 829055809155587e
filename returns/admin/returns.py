"""Operators' screens for returns: the editable reason list; returns with their lines and refund,
authorised or declined by action; the return centre's receive-and-inspect page (a form per
line) and the refund form, each calling a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    PageExtrasMixin,
    ReadOnlyInline,
    SupplierNameColumn,
    admin_actor,
    apply_each,
    form_error,
    form_page,
    report_success,
)
from marketplace.errors import DomainError
from marketplace.formatting import EMPTY, money, when

from ..models import Refund, ReturnLine, ReturnReason, ReturnRequest
from ..services.receiving import Inspection, refund_record, return_inspect
from ..services.requests import return_authorise, return_decline

Status = ReturnRequest.Status


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    """The reasons a storefront may give. A reason in use is never deleted: set it inactive."""

    list_display = [
        "code",
        "label_en",
        "label_zh",
        "counts_as_defect",
        "requires_note",
        "is_active",
        "position",
    ]
    list_editable = ["is_active", "position"]
    ordering = ["position", "code"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = readonly_fields = (
        "item_shown",
        "quantity",
        "reason_shown",
        "note",
        "value_shown",
        "received",
        "defective",
        "restocked",
        "not_restocked",
        "missing",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReturnLine]:
        return super().get_queryset(request).select_related("item", "reason", "request__parcel")

    @admin.display(description=_("parcel item"))
    def item_shown(self, line: ReturnLine) -> str:
        return line.item.description

    @admin.display(description=_("reason"))
    def reason_shown(self, line: ReturnLine) -> str:
        return line.reason.label

    @admin.display(description=_("unit value"))
    def value_shown(self, line: ReturnLine) -> str:
        currency = line.request.parcel.currency
        local = money(line.unit_value, currency)
        if currency == "USD":
            return local
        return f"{local} ({money(line.unit_value_usd, 'USD')})"


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = readonly_fields = (
        "amount_shown",
        "lines_shown",
        "shipping_included",
        "recorded_at",
        "recorded_by",
    )

    @admin.display(description=_("amount"))
    def amount_shown(self, refund: Refund) -> str:
        return money(refund.amount, refund.currency)

    @admin.display(description=_("lines"))
    def lines_shown(self, refund: Refund) -> str:
        """{"1": 2} -> "2 x Plush bear", a line a row."""
        units = {int(line_id): n for line_id, n in (refund.lines or {}).items()}
        if not units:
            return EMPTY
        found = ReturnLine.objects.filter(pk__in=units).select_related("item").order_by("pk")
        return format_html_join(
            "", "<div>{} x {}</div>", ((units[line.pk], line.item.description) for line in found)
        )


class DeclineActionForm(ActionForm):
    decline_reason = forms.ChoiceField(
        label=_("Decline reason:"),
        required=False,
        choices=[("", "—"), *ReturnRequest.DeclineReason.choices],
    )
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("required for “other”")}),
    )


@admin.register(ReturnRequest)
class ReturnRequestAdmin(SupplierNameColumn, PageExtrasMixin, ActionsOnlyAdmin):
    """Returns move only through the actions and the pages they lead to: authorise or decline
    (the action bar), receive and inspect, record the refund (the return's page)."""

    action_form = DeclineActionForm
    # Four columns, two lines each: the list fits at 1366 px beside the navigation and filters.
    list_display = ["number", "status_shown", "supplier_name", "reference"]
    list_filter = ["status", "refund_only", "market", "requested_at"]
    search_fields = ["external_id", "=id", "=parcel__id", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier"]
    show_full_result_count = False
    readonly_fields = (
        "parcel_link",
        "order",
        "listing",
        "supplier",
        "market",
        "external_id",
        "placed_by",
        "status",
        "refund_only",
        "return_centre",
        "decline_reason",
        "decline_note",
        "requested_at",
        "status_changed_at",
        "received_at",
    )
    fields = readonly_fields
    inlines = [ReturnLineInline, RefundInline]
    actions = ["authorise", "decline"]

    @admin.display(description=_("return"), ordering="requested_at")
    def number(self, request: ReturnRequest) -> str:
        return format_html(
            '#{}<br><span class="quiet">{}</span>', request.pk, when(request.requested_at)
        )

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, request: ReturnRequest) -> str:
        marks = []
        if request.refund_only:
            marks.append(str(_("refund only")))
        if request.received_at:
            marks.append(str(_("received %(at)s") % {"at": when(request.received_at)}))
        return format_html(
            '{}<br><span class="quiet">{}</span>', request.get_status_display(), "; ".join(marks)
        )

    @admin.display(description=_("storefront return"), ordering="external_id")
    def reference(self, request: ReturnRequest) -> str:
        return format_html(
            '{}<br><span class="quiet">{} · {}</span>',
            request.external_id,
            request.get_market_display(),
            _("listing #%(id)s") % {"id": request.listing_id},
        )

    @admin.display(description=_("parcel"))
    def parcel_link(self, request: ReturnRequest) -> str:
        parcel = request.parcel
        try:
            url = reverse("admin:shipping_parcel_change", args=[parcel.pk])
        except NoReverseMatch:  # the parcels' admin is not registered
            return f"#{parcel.pk} {parcel.tracking_number}"
        return format_html('<a href="{}">#{} {}</a>', url, parcel.pk, parcel.tracking_number)

    @admin.action(description=_("Authorise (send to the return centre)"), permissions=["change"])
    def authorise(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda found: return_authorise(found, actor=actor),
            ngettext_lazy("%(n)d return authorised.", "%(n)d returns authorised.", "n"),
        )

    @admin.action(description=_("Decline (reason; note for “other”)"), permissions=["change"])
    def decline(self, request: HttpRequest, queryset: QuerySet[ReturnRequest]) -> None:
        actor = admin_actor(request)
        reason = request.POST.get("decline_reason", "")
        note = request.POST.get("note", "")
        apply_each(
            self,
            request,
            queryset,
            lambda found: return_decline(found, reason=reason, note=note, actor=actor),
            ngettext_lazy("%(n)d return declined.", "%(n)d returns declined.", "n"),
        )

    # --- The return's page: receive and inspect, refund ------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/inspect/",
                self.admin_site.admin_view(self.inspect_view),
                name="returns_returnrequest_inspect",
            ),
            path(
                "<int:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="returns_returnrequest_refund",
            ),
            *super().get_urls(),
        ]

    def page_extras(self, request: HttpRequest, found: ReturnRequest) -> dict[str, Any]:
        if not self.has_change_permission(request) or found.status != Status.OPEN:
            return {}
        extra: dict[str, Any] = {}
        if not found.refund_only and found.received_at is None:
            extra["inspect_url"] = reverse("admin:returns_returnrequest_inspect", args=[found.pk])
        if not Refund.objects.filter(request=found).exists():
            extra["refund_url"] = reverse("admin:returns_returnrequest_refund", args=[found.pk])
        return extra

    def _found(self, request: HttpRequest, object_id: int) -> ReturnRequest:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            ReturnRequest.objects.select_related("parcel", "supplier"), pk=object_id
        )

    def inspect_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        found = self._found(request, object_id)
        change_url = reverse("admin:returns_returnrequest_change", args=[found.pk])
        if found.status != Status.OPEN or found.refund_only or found.received_at is not None:
            # Only an open return whose goods are still on their way is received here: a
            # closed or already inspected one would be shown pre-filled against its record.
            messages.warning(
                request,
                _(
                    "%(return)s cannot be received and inspected: it is not open, or its goods "
                    "were already inspected."
                )
                % {"return": found},
            )
            return redirect(change_url)
        lines = list(found.lines.select_related("item", "reason").order_by("pk"))
        forms_by_line = [
            (line, LineInspectForm(request.POST or None, prefix=f"line-{line.pk}", line=line))
            for line in lines
        ]
        error = ""
        if request.method == "POST" and all(form.is_valid() for _l, form in forms_by_line):
            counts = {line.pk: form.inspection() for line, form in forms_by_line}
            try:
                return_inspect(found, counts, actor=admin_actor(request))
            except DomainError as refusal:
                error = refusal.message
                for line, form in forms_by_line:
                    for name, problems in refusal.fields.items():
                        prefix = f"lines[{line.pk}]"
                        if name == prefix or name.startswith(prefix + "."):
                            field = name.removeprefix(prefix + ".")
                            form.add_error(field if field in form.fields else None, problems)
            else:
                report_success(
                    self, request, str(_("%(return)s received and inspected.")) % {"return": found}
                )
                return redirect(change_url)
        return TemplateResponse(
            request,
            "admin/returns/returnrequest/inspect.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Receive and inspect %(return)s") % {"return": found},
                "opts": self.opts,
                "subject": found,
                "subject_url": change_url,
                "forms": forms_by_line,
                "error": error,
                "currency": found.parcel.currency,
            },
        )

    def refund_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        found = self._found(request, object_id)
        change_url = reverse("admin:returns_returnrequest_change", args=[found.pk])
        lines = list(found.lines.order_by("pk"))
        form = RefundForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            try:
                refund_record(
                    found,
                    amount=form.cleaned_data["amount"],
                    lines=form.covered(),
                    shipping_included=form.cleaned_data["shipping_included"],
                    actor=admin_actor(request),
                )
            except DomainError as refusal:
                form_error(form, refusal)
            else:
                report_success(
                    self, request, str(_("Refund recorded for %(return)s.")) % {"return": found}
                )
                return redirect(change_url)
        worth = sum(line.unit_value * line.quantity for line in lines)
        return form_page(
            self,
            request,
            title=_("Record the refund of %(return)s") % {"return": found},
            subject=found,
            subject_url=change_url,
            intro=_(
                "In %(currency)s. The lines' value is %(worth)s; more only with the shipping "
                "included."
            )
            % {"currency": found.parcel.currency, "worth": money(worth, found.parcel.currency)},
            form=form,
            submit=_("Record the refund"),
        )


class LineInspectForm(forms.Form):
    """What the return centre found of one line."""

    received = forms.IntegerField(label=_("received"), min_value=0)
    defective = forms.IntegerField(label=_("defective"), min_value=0, initial=0)
    restocked = forms.IntegerField(label=_("restocked"), min_value=0)
    not_restocked = forms.IntegerField(label=_("not restocked"), min_value=0, initial=0)
    missing = forms.IntegerField(label=_("missing"), min_value=0, initial=0)

    def __init__(self, *args: Any, line: ReturnLine, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = line
        for name in self.fields:
            self.fields[name].widget.attrs.update({"min": 0, "max": line.quantity, "size": 4})
        self.fields["received"].initial = line.quantity
        self.fields["restocked"].initial = line.quantity

    def inspection(self) -> Inspection:
        data = self.cleaned_data
        return Inspection(
            received=data["received"],
            defective=data["defective"],
            restocked=data["restocked"],
            not_restocked=data["not_restocked"],
            missing=data["missing"],
        )


class RefundForm(forms.Form):
    amount = forms.DecimalField(label=_("amount"), min_value=0, max_digits=12, decimal_places=2)
    shipping_included = forms.BooleanField(label=_("shipping included"), required=False)

    def __init__(self, *args: Any, lines: list[ReturnLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"units_{line.pk}"] = forms.IntegerField(
                label=_("units of line #%(line)s") % {"line": line.pk},
                min_value=0,
                max_value=line.quantity,
                initial=line.quantity,
                help_text=_("0: the refund does not cover this line."),
            )

    def covered(self) -> dict[int, int]:
        units = {line.pk: self.cleaned_data[f"units_{line.pk}"] for line in self.lines}
        return {pk: n for pk, n in units.items() if n}
