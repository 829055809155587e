"""A supplier's enforcement cases in the portal: what each failed test did (the markets held, the
fine, a suspension), the appeal deadline with its countdown, the appeal with its evidence file,
and the officer's decision."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from compliance.models import EnforcementCase, MarketHold
from compliance.selectors.enforcement import appeal_open, cases_visible_to
from compliance.services.enforcement import case_appeal
from marketplace.errors import DomainError
from marketplace.files import private_file
from marketplace.markets import Market
from suppliers.models import LedgerEntry

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error
from ..orders.views import countdown_text

PAGE_SIZE = 25


class CaseAppealForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Why is the case wrong?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    file = forms.FileField(
        label=gettext_lazy("Evidence"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
        help_text=gettext_lazy(
            "One PDF, JPEG or PNG file of at most 5 MB: a retest report, the lab's letter."
        ),
    )


def _cases(request: SupplierRequest) -> QuerySet[EnforcementCase]:
    # The selector the API and the admin use: a member's own supplier's cases only.
    return (
        cases_visible_to(request.user)
        .select_related("fine_reversal")
        .prefetch_related(
            Prefetch(
                "holds",
                queryset=MarketHold.objects.select_related("listing").order_by(
                    "market", "listing_id"
                ),
                to_attr="all_holds",
            )
        )
    )


def _markets_held(case: EnforcementCase) -> list[str]:
    """The names of the markets the case holds the listing off sale in now."""
    now = timezone.now()
    held = {h.market for h in case.all_holds if h.lifted_at is None or h.lifted_at > now}  # type: ignore[attr-defined]
    return [str(label) for market, label in Market.choices if market in held]


def _row(case: EnforcementCase, now: Any) -> dict[str, Any]:
    may_appeal = appeal_open(case, now=now)
    return {
        "case": case,
        "markets": _markets_held(case),
        "fine": case.fine_entry.amount.copy_abs() if case.fine_entry else None,
        "may_appeal": may_appeal,
        "left": countdown_text((case.appeal_until - now).total_seconds(), _("closed"))
        if may_appeal
        else "",
    }


@supplier_required
@require_GET
def cases(request: SupplierRequest) -> HttpResponse:
    page = Paginator(_cases(request), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "portal/compliance/cases.html",
        {
            "page_obj": page,
            "rows": [_row(case, now) for case in page.object_list],
            "appeal_days": settings.COMPLIANCE_APPEAL_WINDOW.days,
            "window_days": settings.COMPLIANCE_LADDER_WINDOW.days,
            "compliance_tab": "cases",
        },
    )


def _case_page(
    request: SupplierRequest, case: EnforcementCase, form: CaseAppealForm | None = None
) -> HttpResponse:
    now = timezone.now()
    row = _row(case, now)
    if form is None and row["may_appeal"]:
        form = CaseAppealForm()
    shown_form = form if row["may_appeal"] else None
    entries = [e for e in (case.fine_entry, case.fine_reversal) if e is not None]
    return render(
        request,
        "portal/compliance/case_detail.html",
        {
            **row,
            "holds": case.all_holds,  # type: ignore[attr-defined]
            "entries": entries,
            "evidence_name": os.path.basename(case.appeal_file.name) if case.appeal_file else "",
            "form": shown_form,
            "errors": error_summary(shown_form) if shown_form else [],
            "appeal_days": settings.COMPLIANCE_APPEAL_WINDOW.days,
            "fine_kind": LedgerEntry.Kind.FINE,
            "compliance_tab": "cases",
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def case_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    if request.method != "POST":
        return _case_page(request, case)
    form = CaseAppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            case_appeal(
                case,
                text=form.cleaned_data["text"],
                file=form.cleaned_data.get("file"),
                actor=request.user,
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request, _("Appeal sent. A compliance officer will uphold or overturn the case.")
            )
            return redirect("portal:compliance_case_detail", pk=case.pk)
    # Fetched again: after a refusal (window closed meanwhile) the page says why.
    return _case_page(request, get_object_or_404(_cases(request), pk=pk), form=form)


@supplier_required
@require_GET
def case_evidence(request: SupplierRequest, pk: int) -> FileResponse:
    case = get_object_or_404(_cases(request), pk=pk)
    return private_file(case.appeal_file)


urlpatterns: list[URLPattern] = [
    path("compliance/cases/", cases, name="compliance_cases"),
    path("compliance/cases/<int:pk>/", case_detail, name="compliance_case_detail"),
    path("compliance/cases/<int:pk>/evidence/", case_evidence, name="compliance_case_evidence"),
]
