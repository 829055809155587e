"""Factory audits and corrective actions for compliance officers.

An audit is recorded through `audit_record` (the add form, with up to ADD_FINDINGS findings); its
page shows the findings with their actions. Corrective actions are listed with their countdown;
an officer closes a submitted one with the effectiveness review, or reopens it with a note, each
on its own page calling the service. Evidence files are served to those who may view the action.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    ReadOnlyInline,
    ServiceAddAdmin,
    ServiceInputForm,
    SupplierNameColumn,
    admin_actor,
    form_error,
    form_page,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.files import private_file

from ..models import CORRECTIVE_ACTION_MACHINE, ActionEvidence, Audit, CorrectiveAction, Finding
from ..selectors.audits import (
    action_evidence_visible_to,
    audits_visible_to,
    capa_today,
    corrective_actions_visible_to,
    days_left,
)
from ..services.audits import FindingIn, action_close, action_reopen, audit_record

A = CorrectiveAction.Status
# Finding rows on the add form; an audit with more is recorded in parts (rare: a few per audit).
ADD_FINDINGS = 6
FINDING_FIELDS = ("severity", "category", "area", "description", "due_on")
EMPTY = "-"


def countdown(action: CorrectiveAction) -> str:
    if action.status == A.CLOSED:
        return EMPTY
    left = days_left(action.due_on, capa_today())
    if left < 0:
        return ngettext("overdue by %(n)d day", "overdue by %(n)d days", -left) % {"n": -left}
    if left == 0:
        return str(_("due today"))
    return ngettext("due in %(n)d day", "due in %(n)d days", left) % {"n": left}


def _finding_fields(number: int) -> dict[str, forms.Field]:
    # By name: compliance sits below the catalogue and refers to its models by string.
    category = apps.get_model("catalogue", "Category")
    label = _("Finding %(n)d") % {"n": number}
    return {
        f"finding_{number}_severity": forms.ChoiceField(
            label=pgettext_lazy("finding", "severity"),
            choices=[("", "---------"), *Finding.Severity.choices],
            required=False,
        ),
        f"finding_{number}_category": forms.ModelChoiceField(
            label=_("category"),
            queryset=category.objects.order_by("code"),
            required=False,
            help_text=_("Empty: all of the supplier's listings."),
        ),
        f"finding_{number}_area": forms.CharField(label=_("area"), max_length=100, required=False),
        f"finding_{number}_description": forms.CharField(
            label=_("description"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        ),
        f"finding_{number}_due_on": forms.DateField(
            label=_("corrective action due"), required=False, help_text=str(label)
        ),
    }


class _AuditRecordBase(ServiceInputForm):
    """The audit and its findings; AuditAdmin.service_add records them through audit_record."""

    class Meta:
        model = Audit
        fields = ["supplier", "factory", "auditor", "audited_on", "score", "report_file"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["findings"] = self._findings(data)
        return data

    def _findings(self, data: dict[str, Any]) -> list[FindingIn]:
        rows = []
        for number in range(1, ADD_FINDINGS + 1):
            values = {name: data.get(f"finding_{number}_{name}") for name in FINDING_FIELDS}
            if not any(values.values()):
                continue
            rows.append(
                FindingIn(
                    severity=values["severity"] or "",
                    area=values["area"] or "",
                    description=values["description"] or "",
                    due_on=values["due_on"],  # type: ignore[arg-type]
                    category=values["category"],
                )
            )
        return rows


# The finding rows are declared fields (the admin builds its form from the fieldsets' names).
AuditRecordForm = type(
    "AuditRecordForm",
    (_AuditRecordBase,),
    {
        "__module__": __name__,
        **{
            name: field
            for number in range(1, ADD_FINDINGS + 1)
            for name, field in _finding_fields(number).items()
        },
    },
)


def _finding_rows() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            str(_("Finding %(n)d") % {"n": number}),
            {
                "classes": ["collapse"] if number > 2 else [],
                "fields": [f"finding_{number}_{name}" for name in FINDING_FIELDS],
            },
        )
        for number in range(1, ADD_FINDINGS + 1)
    ]


class FindingInline(ReadOnlyInline):
    model = Finding
    fields = readonly_fields = (
        "severity",
        "category",
        "area",
        "description",
        "action_status",
        "action_due",
        "action_link",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Finding]:
        return super().get_queryset(request).select_related("category", "action")

    @admin.display(description=_("action"))
    def action_status(self, finding: Finding) -> str:
        return finding.action.get_status_display()

    @admin.display(description=_("due"))
    def action_due(self, finding: Finding) -> str:
        return f"{finding.action.due_on} ({countdown(finding.action)})"

    @admin.display(description=_("corrective action"))
    def action_link(self, finding: Finding) -> str:
        url = reverse("admin:compliance_correctiveaction_change", args=[finding.action.pk])
        return format_html('<a href="{}">{}</a>', url, _("open"))


@admin.register(Audit)
class AuditAdmin(SupplierNameColumn, ServiceAddAdmin):
    """Officers record an audit with its findings (each gets a corrective action); an audit is
    never edited or deleted afterwards."""

    form = AuditRecordForm
    list_display = [
        "audited_on",
        "supplier_name",
        "factory",
        "auditor",
        "score",
        "critical_count",
        "major_count",
        "minor_count",
    ]
    list_filter = ["audited_on"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "auditor"]
    list_select_related = ["supplier", "factory"]
    raw_id_fields = ["supplier", "factory"]
    show_full_result_count = False
    view_fields = [
        "supplier",
        "factory",
        "auditor",
        "audited_on",
        "score",
        "report_link",
        "recorded_by",
        "recorded_at",
    ]
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Audit]:
        return audits_visible_to(admin_actor(request))

    def get_fieldsets(self, request: HttpRequest, obj: Audit | None = None) -> Any:
        if obj is not None:
            return [(None, {"fields": self.view_fields})]
        return [(None, {"fields": _AuditRecordBase.Meta.fields}), *_finding_rows()]

    def get_readonly_fields(self, request: HttpRequest, obj: Audit | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: Audit | None) -> Any:
        return [] if obj is None else [FindingInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> Audit:
        try:
            return audit_record(
                data["supplier"],
                factory=data.get("factory"),
                auditor=data.get("auditor", ""),
                audited_on=data["audited_on"],
                score=data["score"],
                findings=data.get("findings", []),
                report_file=data.get("report_file") or None,
                actor=admin_actor(request),
            )
        except DomainError as error:
            error.fields = {_form_field(name): texts for name, texts in error.fields.items()}
            raise

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name="compliance_audit_report",
            ),
            *super().get_urls(),
        ]

    def report_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        audit = get_object_or_404(self.get_queryset(request), pk=object_id)
        return private_file(audit.report_file)

    @admin.display(description=_("critical"), ordering="critical_count")
    def critical_count(self, audit: Audit) -> int:
        return audit.critical_count  # type: ignore[attr-defined]

    @admin.display(description=_("major"), ordering="major_count")
    def major_count(self, audit: Audit) -> int:
        return audit.major_count  # type: ignore[attr-defined]

    @admin.display(description=_("minor"), ordering="minor_count")
    def minor_count(self, audit: Audit) -> int:
        return audit.minor_count  # type: ignore[attr-defined]

    @admin.display(description=_("report (PDF)"))
    def report_link(self, audit: Audit) -> str:
        if not audit.report_file:
            return EMPTY
        url = reverse("admin:compliance_audit_report", args=[audit.pk])
        return format_html('<a href="{}">{}</a>', url, _("download"))


def _form_field(name: str) -> str:
    """The service names a finding's field `findings[0].due_on`; the form calls it
    `finding_1_due_on`."""
    if name.startswith("findings[") and "]." in name:
        index, field = name[len("findings[") :].split("].", 1)
        if index.isdigit():
            return f"finding_{int(index) + 1}_{field}"
    return name


class CloseForm(forms.Form):
    effectiveness_review = forms.CharField(
        label=_("effectiveness review"),
        widget=forms.Textarea(attrs={"rows": 5, "cols": 80}),
        help_text=_("How you checked that the correction works; the supplier reads it."),
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("note"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text=_("What the supplier must still do; the supplier reads it."),
    )


class EvidenceInline(ReadOnlyInline):
    model = ActionEvidence
    fields = readonly_fields = ("file_link", "note", "uploaded_at")

    @admin.display(description=_("file"))
    def file_link(self, evidence: ActionEvidence) -> str:
        url = reverse("admin:compliance_correctiveaction_evidence", args=[evidence.pk])
        return format_html('<a href="{}">{}</a>', url, evidence.file.name.rsplit("/", 1)[-1])


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("overdue", _("Overdue")), ("week", _("Due within 7 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from datetime import timedelta

        today = capa_today()
        not_closed = queryset.exclude(status=A.CLOSED)
        if self.value() == "overdue":
            return not_closed.filter(due_on__lt=today)
        if self.value() == "week":
            return not_closed.filter(due_on__gte=today, due_on__lte=today + timedelta(days=7))
        return queryset


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(SupplierNameColumn, ActionsOnlyAdmin):
    """Every finding's corrective action, soonest due first. The supplier answers and submits
    in the portal; an officer closes a submitted action with the effectiveness review, or
    reopens it with a note (the links in the list and on its page)."""

    list_display = [
        "id",
        "supplier_name",
        "severity",
        "area",
        "due_on",
        "countdown",
        "status",
        "evidence_count",
        "decide",
    ]
    list_filter = ["status", "finding__severity", DueFilter, "finding__category"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "finding__area"]
    show_full_result_count = False
    fields = readonly_fields = (
        "supplier",
        "audit_link",
        "severity",
        "category",
        "area",
        "description",
        "due_on",
        "countdown",
        "status",
        "root_cause",
        "containment",
        "preventive_step",
        "effectiveness_review",
        "closed_by",
        "closed_at",
        "reminded_days",
        "decide",
    )
    inlines = [EvidenceInline]
    actions = ["close_selected", "reopen_selected", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CorrectiveAction]:
        return corrective_actions_visible_to(admin_actor(request)).annotate(
            evidence_total=Count("evidence")
        )

    @admin.display(description=pgettext_lazy("finding", "severity"), ordering="finding__severity")
    def severity(self, action: CorrectiveAction) -> str:
        return action.finding.get_severity_display()

    @admin.display(description=_("category"))
    def category(self, action: CorrectiveAction) -> Any:
        return action.finding.category or _("all listings")

    @admin.display(description=_("area"))
    def area(self, action: CorrectiveAction) -> str:
        return action.finding.area

    @admin.display(description=_("description"))
    def description(self, action: CorrectiveAction) -> str:
        return action.finding.description

    @admin.display(description=_("left"))
    def countdown(self, action: CorrectiveAction) -> str:
        return countdown(action)

    @admin.display(description=_("evidence"), ordering="evidence_total")
    def evidence_count(self, action: CorrectiveAction) -> int:
        return action.evidence_total  # type: ignore[attr-defined]

    @admin.display(description=_("audit"))
    def audit_link(self, action: CorrectiveAction) -> str:
        audit = action.finding.audit
        url = reverse("admin:compliance_audit_change", args=[audit.pk])
        return format_html('<a href="{}">{}</a>', url, f"{audit.audited_on} · {audit.auditor}")

    @admin.display(description=_("decide"))
    def decide(self, action: CorrectiveAction) -> str:
        links = []
        if CORRECTIVE_ACTION_MACHINE.allows(action.status, A.CLOSED):
            links.append(
                (reverse("admin:compliance_correctiveaction_close", args=[action.pk]), _("close"))
            )
        if CORRECTIVE_ACTION_MACHINE.allows(action.status, A.OPEN):
            links.append(
                (reverse("admin:compliance_correctiveaction_reopen", args=[action.pk]), _("reopen"))
            )
        if not links:
            return EMPTY
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    # --- The close and reopen pages -----------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/close/",
                self.admin_site.admin_view(self.close_view),
                name="compliance_correctiveaction_close",
            ),
            path(
                "<int:object_id>/reopen/",
                self.admin_site.admin_view(self.reopen_view),
                name="compliance_correctiveaction_reopen",
            ),
            path(
                "evidence/<int:evidence_id>/",
                self.admin_site.admin_view(self.evidence_view),
                name="compliance_correctiveaction_evidence",
            ),
            *super().get_urls(),
        ]

    def _decision_page(self, request: HttpRequest, object_id: int, *, close: bool) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        action = get_object_or_404(self.get_queryset(request), pk=object_id)
        change_url = reverse("admin:compliance_correctiveaction_change", args=[action.pk])
        form: forms.Form = (CloseForm if close else ReopenForm)(
            request.POST if request.method == "POST" else None
        )
        if request.method == "POST" and form.is_valid():
            try:
                if close:
                    action_close(
                        action,
                        effectiveness_review=form.cleaned_data["effectiveness_review"],
                        actor=admin_actor(request),
                    )
                else:
                    action_reopen(
                        action, note=form.cleaned_data["note"], actor=admin_actor(request)
                    )
            except DomainError as error:
                form_error(form, error)
            else:
                done = (
                    _("Corrective action %(id)s closed.")
                    if close
                    else _("Corrective action %(id)s reopened: the supplier has it back.")
                )
                report_success(self, request, str(done) % {"id": action.pk})
                return redirect(change_url)
        finding = action.finding
        return form_page(
            self,
            request,
            title=(
                _("Close corrective action %(id)s")
                if close
                else _("Reopen corrective action %(id)s")
            )
            % {"id": action.pk},
            subject=action,
            subject_url=change_url,
            intro=f"{action.supplier} · {finding.get_severity_display()} · {finding.area}: "
            f"{finding.description}",
            form=form,
            submit=_("Close") if close else _("Reopen"),
        )

    def close_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._decision_page(request, object_id, close=True)

    def reopen_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        return self._decision_page(request, object_id, close=False)

    def evidence_view(self, request: HttpRequest, evidence_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        evidence = get_object_or_404(
            action_evidence_visible_to(admin_actor(request)), pk=evidence_id
        )
        return private_file(evidence.file)

    # --- The list's actions: one row's decision page -------------------------------------------

    def _one(self, request: HttpRequest, queryset: QuerySet[CorrectiveAction], name: str) -> Any:
        chosen = list(queryset.values_list("pk", flat=True)[:2])
        if len(chosen) != 1:
            self.message_user(
                request,
                _("Choose one corrective action: each decision is written for its action."),
                level=messages.WARNING,
            )
            return None
        return HttpResponseRedirect(
            reverse(f"admin:compliance_correctiveaction_{name}", args=[chosen[0]])
        )

    @admin.action(description=_("Close with an effectiveness review…"), permissions=["change"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet[CorrectiveAction]) -> Any:
        return self._one(request, queryset, "close")

    @admin.action(description=_("Reopen with a note…"), permissions=["change"])
    def reopen_selected(self, request: HttpRequest, queryset: QuerySet[CorrectiveAction]) -> Any:
        return self._one(request, queryset, "reopen")
