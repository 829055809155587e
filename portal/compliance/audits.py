"""The supplier's factory audits and corrective actions: each audit's score and findings by
severity, each action with its countdown, the answer (root cause, containment, preventive
step), the evidence files, the submission, and the officer's decisions.

Every row is fetched through compliance.selectors.audits, so another supplier's audit, action or
evidence is a 404; every change goes through compliance.services.audits."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from compliance.models import CORRECTIVE_ACTION_MACHINE, Audit, CorrectiveAction, Finding
from compliance.selectors.audits import (
    action_decisions,
    action_evidence_visible_to,
    audits_visible_to,
    capa_today,
    corrective_actions_visible_to,
    days_left,
)
from compliance.services.audits import (
    MAX_TEXT,
    action_answer,
    action_evidence_add,
    action_submit,
)
from marketplace.errors import DomainError
from marketplace.files import private_file

from ..access import SupplierRequest, supplier_required
from ..errors import act, error_summary, show_domain_error

A = CorrectiveAction.Status
PAGE_SIZE = 25
SEVERITY_ORDER = [Finding.Severity.CRITICAL, Finding.Severity.MAJOR, Finding.Severity.MINOR]


# --- Forms ------------------------------------------------------------------------------------


class AnswerForm(forms.Form):
    root_cause = forms.CharField(
        label=gettext_lazy("Root cause"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Why it happened, not only what happened."),
    )
    containment = forms.CharField(
        label=gettext_lazy("Containment"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What you did at once to stop affected goods from shipping."),
    )
    preventive_step = forms.CharField(
        label=gettext_lazy("Preventive step"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What you changed so that it does not happen again."),
    )


class EvidenceForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Evidence file"),
        help_text=gettext_lazy(
            "A PDF, JPEG or PNG of at most 10 MB: a photo, a procedure, a record."
        ),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


# --- Countdowns -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Countdown:
    days: int
    text: str
    overdue: bool
    soon: bool


def countdown(action: CorrectiveAction, today: object = None) -> Countdown | None:
    """ "due in N days" / "due today" / "overdue by N days"; None once closed."""
    if action.status == A.CLOSED:
        return None
    left = days_left(action.due_on, today or capa_today())  # type: ignore[arg-type]
    if left < 0:
        text = ngettext("overdue by %(n)d day", "overdue by %(n)d days", -left) % {"n": -left}
    elif left == 0:
        text = _("due today")
    else:
        text = ngettext("due in %(n)d day", "due in %(n)d days", left) % {"n": left}
    return Countdown(days=left, text=text, overdue=left < 0, soon=0 <= left <= 10)


# --- Scoped fetches ---------------------------------------------------------------------------


def _actions(request: SupplierRequest) -> QuerySet[CorrectiveAction]:
    return corrective_actions_visible_to(request.user)


def _action(request: SupplierRequest, pk: int) -> CorrectiveAction:
    return get_object_or_404(
        _actions(request).select_related("finding__audit").prefetch_related("evidence"), pk=pk
    )


def _audit(request: SupplierRequest, pk: int) -> Audit:
    findings = Finding.objects.select_related("category", "action").order_by("id")
    return get_object_or_404(
        audits_visible_to(request.user).prefetch_related(Prefetch("findings", queryset=findings)),
        pk=pk,
    )


# --- Pages ------------------------------------------------------------------------------------


@supplier_required
@require_GET
def audits(request: SupplierRequest) -> HttpResponse:
    today = capa_today()
    open_actions = list(_actions(request).exclude(status=A.CLOSED).order_by("due_on", "id"))
    page = Paginator(audits_visible_to(request.user).order_by("-audited_on", "-id"), PAGE_SIZE)
    page_obj = page.get_page(request.GET.get("page"))
    return render(
        request,
        "portal/compliance/audits.html",
        {
            "compliance_tab": "audits",
            "page_obj": page_obj,
            "audits": page_obj.object_list,
            "actions": [(action, countdown(action, today)) for action in open_actions],
        },
    )


@supplier_required
@require_GET
def audit_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    audit = _audit(request, pk)
    today = capa_today()
    findings = list(audit.findings.all())
    groups = [
        (
            severity.label,
            severity.value,
            [(f, countdown(f.action, today)) for f in findings if f.severity == severity],
        )
        for severity in SEVERITY_ORDER
    ]
    return render(
        request,
        "portal/compliance/audit_detail.html",
        {"compliance_tab": "audits", "audit": audit, "groups": groups},
    )


@supplier_required
@require_GET
def audit_report(request: SupplierRequest, pk: int) -> FileResponse:
    audit = get_object_or_404(audits_visible_to(request.user), pk=pk)
    return private_file(audit.report_file)


def _action_page(
    request: SupplierRequest,
    action: CorrectiveAction,
    *,
    answer_form: AnswerForm | None = None,
    evidence_form: EvidenceForm | None = None,
) -> HttpResponse:
    editable = action.status == A.OPEN
    answer_form = answer_form or AnswerForm(
        initial={
            "root_cause": action.root_cause,
            "containment": action.containment,
            "preventive_step": action.preventive_step,
        }
    )
    evidence_form = evidence_form or EvidenceForm()
    return render(
        request,
        "portal/compliance/action_detail.html",
        {
            "compliance_tab": "audits",
            "action": action,
            "finding": action.finding,
            "audit": action.finding.audit,
            "countdown": countdown(action),
            "editable": editable,
            "may_submit": CORRECTIVE_ACTION_MACHINE.allows(action.status, A.SUBMITTED),
            "answer_form": answer_form if editable else None,
            "evidence_form": evidence_form if editable else None,
            "evidence": [
                (item, item.file.name.rsplit("/", 1)[-1]) for item in action.evidence.all()
            ],
            "decisions": action_decisions(action),
            "errors": error_summary(answer_form, evidence_form),
        },
    )


@supplier_required
@require_GET
def action_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    return _action_page(request, _action(request, pk))


@supplier_required
@require_POST
def action_answer_view(request: SupplierRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            action_answer(action, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Your answer is saved."))
            return redirect("portal:compliance_action_detail", pk=action.pk)
    return _action_page(request, _action(request, pk), answer_form=form)


@supplier_required
@require_POST
def action_evidence_view(request: SupplierRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            action_evidence_add(
                action,
                file=form.cleaned_data["file"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Evidence uploaded."))
            return redirect("portal:compliance_action_detail", pk=action.pk)
    return _action_page(request, _action(request, pk), evidence_form=form)


@supplier_required
@require_POST
def action_submit_view(request: SupplierRequest, pk: int) -> HttpResponse:
    action = _action(request, pk)
    act(
        request,
        lambda: action_submit(action, actor=request.user),
        _("Submitted: the marketplace will review the correction and close or reopen it."),
    )
    return redirect("portal:compliance_action_detail", pk=action.pk)


@supplier_required
@require_http_methods(["GET"])
def action_evidence_file(request: SupplierRequest, pk: int, evidence_pk: int) -> FileResponse:
    evidence = get_object_or_404(
        action_evidence_visible_to(request.user), pk=evidence_pk, action_id=pk
    )
    return private_file(evidence.file)


urlpatterns = [
    path("compliance/audits/", audits, name="compliance_audits"),
    path("compliance/audits/<int:pk>/", audit_detail, name="compliance_audit_detail"),
    path("compliance/audits/<int:pk>/report/", audit_report, name="compliance_audit_report"),
    path("compliance/actions/<int:pk>/", action_detail, name="compliance_action_detail"),
    path(
        "compliance/actions/<int:pk>/answer/",
        action_answer_view,
        name="compliance_action_answer",
    ),
    path(
        "compliance/actions/<int:pk>/evidence/",
        action_evidence_view,
        name="compliance_action_evidence",
    ),
    path(
        "compliance/actions/<int:pk>/evidence/<int:evidence_pk>/",
        action_evidence_file,
        name="compliance_action_evidence_file",
    ),
    path(
        "compliance/actions/<int:pk>/submit/",
        action_submit_view,
        name="compliance_action_submit",
    ),
]
