"""A supplier's penalties in the portal: each with its rule, evidence and ledger entries, and the
appeal with its attachments, within the appeal window."""

from __future__ import annotations

import os
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from marketplace.errors import DomainError
from marketplace.files import private_file
from orders.evidence import evidence_rows
from orders.models import AppealAttachment, Penalty
from orders.rules import rules
from orders.services.orders import penalty_appeal
from suppliers.models import LedgerEntry

from ..access import SupplierRequest, supplier_required
from ..errors import error_summary, show_domain_error
from ..wording import describe_entries
from .forms import AppealForm
from .views import PAGE_SIZE, _penalties


@supplier_required
@require_GET
def penalties(request: SupplierRequest) -> HttpResponse:
    found = (
        _penalties(request)
        .select_related("order__listing__product", "appeal")
        .order_by("-assessed_at", "-id")
    )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [
        (penalty, penalty.appeal_until if penalty.may_be_appealed(now) else None)
        for penalty in page.object_list
    ]
    return render(
        request,
        "portal/orders/penalties.html",
        {"page_obj": page, "rows": rows, "appeal_days": rules().appeal_days},
    )


def _penalty(request: SupplierRequest, pk: int) -> Penalty:
    return get_object_or_404(
        _penalties(request).select_related("order__listing__product", "ledger_entry", "appeal"),
        pk=pk,
    )


def _penalty_page(
    request: SupplierRequest, penalty: Penalty, form: AppealForm | None = None
) -> HttpResponse:
    appeal = getattr(penalty, "appeal", None)
    until = penalty.appeal_until
    may_appeal = appeal is None and penalty.may_be_appealed()
    if form is None and may_appeal:
        form = AppealForm()
    reversal = None
    if penalty.ledger_entry is not None:
        reversal = LedgerEntry.objects.filter(
            corrects=penalty.ledger_entry, kind=LedgerEntry.Kind.PENALTY_REVERSAL
        ).first()
    texts = describe_entries([e for e in (penalty.ledger_entry, reversal) if e is not None])
    order = penalty.order
    uncapped = (penalty.multiple * order.goods_value).quantize(Decimal("0.01"))
    return render(
        request,
        "portal/orders/penalty_detail.html",
        {
            "penalty": penalty,
            "order": order,
            "evidence": evidence_rows(penalty.evidence),
            "uncapped": uncapped,
            "capped": penalty.amount < uncapped,
            "cap_multiple": rules().cap_multiple,
            "appeal": appeal,
            "attachments": [
                (attachment, os.path.basename(attachment.file.name))
                for attachment in (appeal.attachments.order_by("pk") if appeal else [])
            ],
            "appeal_until": until,
            "appeal_days": rules().appeal_days,
            "form": form if may_appeal else None,
            "errors": error_summary(form) if may_appeal else [],
            "reversal": reversal,
            "entry_text": texts.get(penalty.ledger_entry_id or 0),
            "reversal_text": texts.get(reversal.pk) if reversal is not None else None,
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def penalty_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    penalty = _penalty(request, pk)
    if request.method != "POST":
        return _penalty_page(request, penalty)
    form = AppealForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            penalty_appeal(
                penalty,
                reason=form.cleaned_data["reason"],
                actor=request.user,
                attachments=form.cleaned_data["attachments"],
            )
        except DomainError as error:
            show_domain_error(request, error, form)
        else:
            messages.success(
                request, _("Appeal sent. The marketplace will uphold or waive the penalty.")
            )
            return redirect("portal:penalty_detail", pk=penalty.pk)
    # Fetched again: after a refusal (window closed, appealed meanwhile) the page says why and
    # shows no form.
    return _penalty_page(request, _penalty(request, pk), form=form)


@supplier_required
@require_GET
def penalty_attachment(request: SupplierRequest, pk: int, attachment_pk: int) -> FileResponse:
    attachment = get_object_or_404(
        AppealAttachment, pk=attachment_pk, appeal__penalty__in=_penalties(request).filter(pk=pk)
    )
    return private_file(attachment.file)
