"""The supplier's deposit: balance and ledger (with CSV), withdrawal requests, JIT enrolment.
Money changes are the owner's; staff read."""

from __future__ import annotations

import csv
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from marketplace.errors import DomainError
from suppliers.models import LedgerEntry
from suppliers.selectors import (
    ledger_entries_visible_to,
    supplier_balance,
    withdrawal_requests_visible_to,
)
from suppliers.services.jit import jit_apply, jit_conditions
from suppliers.services.ledger import jit_floor, withdrawal_request

from ..access import SupplierRequest, check_owner, supplier_required
from ..errors import show_domain_error
from ..wording import describe_entries, jit_reason
from .forms import LedgerFilterForm, WithdrawalForm

PAGE_SIZE = 50
CSV_CHUNK = 2000
CSV_COLUMNS = [
    "posted_at",
    "kind",
    "amount",
    "balance_after",
    "description",
    "memo",
    "bank_reference",
    "reference",
]
# Spreadsheets run a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)


def _day_start(day: date) -> datetime:
    """Midnight of `day` in China time: the portal's dates are the supplier's days."""
    return datetime.combine(day, time.min, tzinfo=_zone())


def _ledger_filters(form: LedgerFilterForm) -> tuple[str, datetime | None, datetime | None]:
    """kind, start (inclusive), end (exclusive) from the valid part of the filter form."""
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    start, end = data.get("date_from"), data.get("date_to")
    return (
        data.get("kind") or "",
        _day_start(start) if start else None,
        _day_start(end + timedelta(days=1)) if end else None,
    )


def _entries(
    ledger: QuerySet[LedgerEntry], kind: str, start: datetime | None, end: datetime | None
) -> QuerySet[LedgerEntry]:
    entries = ledger
    if kind:
        entries = entries.filter(kind=kind)
    if start:
        entries = entries.filter(posted_at__gte=start)
    if end:
        entries = entries.filter(posted_at__lt=end)
    return entries.select_related("reference_type")


def reference_text(entry: LedgerEntry) -> str:
    parts = []
    if entry.reference_type_id and entry.reference_type is not None:
        parts.append(f"{entry.reference_type.name} #{entry.reference_id}")
    if entry.corrects_id:
        parts.append(_("corrects entry #%(id)s") % {"id": entry.corrects_id})
    return "; ".join(parts)


def balances_after(
    ledger: QuerySet[LedgerEntry], rows: Sequence[LedgerEntry]
) -> dict[int, Decimal]:
    """The balance right after each of `rows` (newest first), over the whole ledger whatever the
    filter: the sum before the oldest row, then a walk over the entries the rows span. Two
    queries, whatever the page size."""
    if not rows:
        return {}
    oldest, newest = rows[-1], rows[0]
    ledger = ledger.order_by()
    before = Q(posted_at__lt=oldest.posted_at) | Q(posted_at=oldest.posted_at, id__lt=oldest.pk)
    running = ledger.filter(before).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    upto = Q(posted_at__lt=newest.posted_at) | Q(posted_at=newest.posted_at, id__lte=newest.pk)
    span = ledger.exclude(before).filter(upto).order_by("posted_at", "id")
    wanted, after = {row.pk for row in rows}, {}
    for pk, amount in span.values_list("id", "amount"):
        running += amount
        if pk in wanted:
            after[pk] = running
    return after


@supplier_required
@require_GET
def ledger(request: SupplierRequest) -> HttpResponseBase:
    if request.GET.get("format") == "csv":
        return _ledger_csv_response(request)
    supplier = request.membership.supplier
    form = LedgerFilterForm(request.GET)
    kind, start, end = _ledger_filters(form)
    visible = ledger_entries_visible_to(request.user)
    page = Paginator(_entries(visible, kind, start, end), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    after = balances_after(visible, rows)
    texts = describe_entries(rows)
    return render(
        request,
        "portal/ledger.html",
        {
            "supplier": supplier,
            "form": form,
            "page_obj": page,
            "rows": [(entry, after.get(entry.pk), texts[entry.pk]) for entry in rows],
            "balance": supplier_balance(supplier.pk),
            "floor": jit_floor(supplier),
            "filtered": bool(kind or start or end),
        },
    )


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a stream."""

    def write(self, value: str) -> str:
        return value


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def ledger_csv_lines(
    ledger: QuerySet[LedgerEntry], kind: str, start: datetime | None, end: datetime | None
) -> Iterator[str]:
    """The filtered entries, oldest first, with the balance after each (over every kind): the
    balance before the start date, then a running sum while streaming."""
    writer = csv.writer(_Echo())
    zone = _zone()
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)  # the BOM tells Excel it is UTF-8
    running = Decimal("0.00")
    if start:
        before = ledger.order_by().filter(posted_at__lt=start)
        running = before.aggregate(total=Sum("amount"))["total"] or running
    window: QuerySet[LedgerEntry] = _entries(ledger, "", start, end).order_by("posted_at", "id")
    entries: Iterable[LedgerEntry] = window.iterator(chunk_size=CSV_CHUNK)
    for chunk in _chunks(entries, CSV_CHUNK):
        texts = describe_entries(chunk)
        for entry in chunk:
            running += entry.amount
            if kind and entry.kind != kind:
                continue
            text = texts[entry.pk]
            yield writer.writerow(
                [
                    timezone.localtime(entry.posted_at, zone).isoformat(timespec="seconds"),
                    entry.kind,
                    f"{entry.amount:.2f}",
                    f"{running:.2f}",
                    _cell(text.description),
                    _cell(text.memo),
                    _cell(entry.bank_reference),
                    _cell(reference_text(entry)),
                ]
            )


def _chunks(items: Iterable[LedgerEntry], size: int) -> Iterator[list[LedgerEntry]]:
    chunk: list[LedgerEntry] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@supplier_required
@require_GET
def ledger_csv(request: SupplierRequest) -> StreamingHttpResponse:
    return _ledger_csv_response(request)


def _ledger_csv_response(request: SupplierRequest) -> StreamingHttpResponse:
    supplier = request.membership.supplier
    kind, start, end = _ledger_filters(LedgerFilterForm(request.GET))
    today = timezone.localdate(timezone=_zone())
    response = StreamingHttpResponse(
        ledger_csv_lines(ledger_entries_visible_to(request.user), kind, start, end),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"ledger-{supplier.credit_code}-{today:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@supplier_required
@require_http_methods(["GET", "POST"])
def withdrawals(request: SupplierRequest) -> HttpResponse:
    """The owner asks for money back; everyone of the supplier sees the requests."""
    membership = request.membership
    supplier = membership.supplier
    form = None
    if request.method == "POST":
        check_owner(membership)
        form = WithdrawalForm(request.POST)
        if form.is_valid():
            try:
                withdrawal_request(
                    supplier,
                    amount=form.cleaned_data["amount"],
                    bank_account=form.cleaned_data["bank_account"],
                    actor=request.user,
                )
            except DomainError as error:
                show_domain_error(request, error, form)
            else:
                messages.success(
                    request,
                    _("Your request to withdraw %(amount)s CNY is with finance.")
                    % {"amount": form.cleaned_data["amount"]},
                )
                return redirect("portal:withdrawals")
    elif membership.is_owner:
        form = WithdrawalForm()
    requests = withdrawal_requests_visible_to(request.user).select_related("requested_by")
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    balance, floor = supplier_balance(supplier.pk), jit_floor(supplier)
    return render(
        request,
        "portal/withdrawals.html",
        {
            "supplier": supplier,
            "form": form,
            "page_obj": page,
            "balance": balance,
            "floor": floor,
            "available": max(balance - floor, Decimal("0.00")),
        },
    )


@supplier_required
@require_GET
def jit(request: SupplierRequest) -> HttpResponse:
    supplier = request.membership.supplier
    conditions = jit_conditions(supplier)
    return render(
        request,
        "portal/jit.html",
        {
            "supplier": supplier,
            "jit_reason": jit_reason(supplier, supplier_balance(supplier.pk)),
            "conditions": conditions,
            "eligible": all(condition.met for condition in conditions),
            "minimum": settings.JIT_MIN_DEPOSIT_CNY,
        },
    )


@supplier_required
@require_POST
def jit_apply_view(request: SupplierRequest) -> HttpResponse:
    membership = request.membership
    check_owner(membership)
    was_enrolled = membership.supplier.jit_enrolled
    try:
        supplier = jit_apply(membership.supplier, actor=request.user)
    except DomainError as error:
        show_domain_error(request, error)
    else:
        if not was_enrolled and supplier.jit_enrolled:
            messages.success(request, _("You are enrolled in JIT."))
    return redirect("portal:jit")
