"""A supplier's returns and chargebacks in the portal: each return with its lines (reasons in the
reader's language), what the return centre found and each unit's disposition, and the refund;
each chargeback with its arithmetic, the appeal deadline in China time and the appeal form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.errors import DomainError
from returns.models import Chargeback, Refund, ReturnLine, ReturnRequest
from returns.selectors.visibility import chargebacks_visible_to, returns_visible_to
from returns.services.chargebacks import appeal_open, chargeback_appeal
from suppliers.models import LedgerEntry

from ..access import SupplierRequest, supplier_required
from ..compliance.evidence import Left
from ..errors import error_summary, show_domain_error
from ..orders.views import countdown_text
from ..wording import describe_entries

PAGE_SIZE = 25


class ChargebackAppealForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Why is the chargeback wrong?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _returns(request: SupplierRequest) -> QuerySet[ReturnRequest]:
    # The selector the API and the admin use: a member's own supplier's returns only.
    return returns_visible_to(request.user).select_related("listing__product", "parcel")


def _chargebacks(request: SupplierRequest) -> QuerySet[Chargeback]:
    return chargebacks_visible_to(request.user).select_related(
        "line__request__listing__product", "line__reason"
    )


@supplier_required
@require_GET
def returns(request: SupplierRequest) -> HttpResponse:
    found = (
        _returns(request)
        .annotate(units=Sum("lines__quantity"))
        .order_by("-requested_at", "-id")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("reason").order_by("pk"))
        )
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    refunds = {r.request_id: r for r in Refund.objects.filter(request__in=list(page.object_list))}
    rows = [
        {
            "request": row,
            "reasons": sorted({line.reason.label for line in row.lines.all()}),
            "refund": refunds.get(row.pk),
        }
        for row in page.object_list
    ]
    return render(
        request,
        "portal/returns/returns.html",
        {
            "page_obj": page,
            "rows": rows,
            "window_days": settings.RETURN_WINDOW_DAYS,
            "returns_tab": "returns",
        },
    )


@supplier_required
@require_GET
def return_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(_returns(request).select_related("return_centre"), pk=pk)
    lines = list(found.lines.select_related("reason", "item__product", "chargeback").order_by("pk"))
    refund = Refund.objects.filter(request=found).first()
    return render(
        request,
        "portal/returns/return_detail.html",
        {
            "request_obj": found,
            "lines": lines,
            "chargebacks": [line.chargeback for line in lines if hasattr(line, "chargeback")],
            "refund": refund,
            "returns_tab": "returns",
        },
    )


def _row(chargeback: Chargeback, now: Any) -> dict[str, Any]:
    may_appeal = appeal_open(chargeback)
    return {
        "chargeback": chargeback,
        "may_appeal": may_appeal,
        # Whole days, as the portal's other deadlines read ("6 days left"); no ticking seconds in
        # a list's cell.
        "left": Left((chargeback.appeal_until - now).days) if may_appeal else None,
    }


@supplier_required
@require_GET
def chargebacks(request: SupplierRequest) -> HttpResponse:
    page = Paginator(_chargebacks(request), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "portal/returns/chargebacks.html",
        {
            "page_obj": page,
            "rows": [_row(chargeback, now) for chargeback in page.object_list],
            "appeal_days": settings.CHARGEBACK_APPEAL_DAYS,
            "handling_fee": settings.RETURN_HANDLING_FEE_CNY,
            "returns_tab": "chargebacks",
        },
    )


def _chargeback_page(
    request: SupplierRequest, chargeback: Chargeback, form: ChargebackAppealForm | None = None
) -> HttpResponse:
    now = timezone.now()
    row = _row(chargeback, now)
    if form is None and row["may_appeal"]:
        form = ChargebackAppealForm()
    shown_form = form if row["may_appeal"] else None
    entries = list(
        LedgerEntry.objects.filter(
            pk__in=[pk for pk in (chargeback.entry_id, chargeback.reversal_id) if pk]
        ).order_by("posted_at", "pk")
    )
    texts = describe_entries(entries)
    return render(
        request,
        "portal/returns/chargeback_detail.html",
        {
            **row,
            # The detail page's live countdown (static/portal.js ticks it).
            "left": countdown_text((chargeback.appeal_until - now).total_seconds(), _("closed"))
            if row["may_appeal"]
            else "",
            "entries": [(entry, texts.get(entry.pk)) for entry in entries],
            "form": shown_form,
            "errors": error_summary(shown_form) if shown_form else [],
            "appeal_days": settings.CHARGEBACK_APPEAL_DAYS,
            "returns_tab": "chargebacks",
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def chargeback_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    chargeback = get_object_or_404(_chargebacks(request), pk=pk)
    if request.method != "POST":
        return _chargeback_page(request, chargeback)
    form = ChargebackAppealForm(request.POST)
    if form.is_valid():
        try:
            chargeback_appeal(chargeback, text=form.cleaned_data["text"], actor=request.user)
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(request, _("Appeal sent. The marketplace will uphold or dismiss it."))
            return redirect("portal:chargeback_detail", pk=chargeback.pk)
    # Fetched again: after a refusal (window closed meanwhile) the page says why.
    return _chargeback_page(request, get_object_or_404(_chargebacks(request), pk=pk), form=form)


urlpatterns: list[URLPattern] = [
    path("returns/", returns, name="returns"),
    path("returns/<int:pk>/", return_detail, name="return_detail"),
    path("returns/chargebacks/", chargebacks, name="chargebacks"),
    path("returns/chargebacks/<int:pk>/", chargeback_detail, name="chargeback_detail"),
]
