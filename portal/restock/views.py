"""A supplier's restock proposals in the portal (SPEC, "Demand-driven restock"): open ones first
(urgent ones marked, snoozed ones shown as such), a history tab, and each proposal with its
arithmetic in words, a chart of the last 8 weeks of demand and the forecast, and the forms to
confirm (quantity, ship date), decline (reason) or snooze (days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from logistics.services.inbound.common import MAX_UNITS
from marketplace.errors import DomainError
from marketplace.formatting import suppliers_today
from restock.models import Forecast, RestockProposal
from restock.selectors.proposals import (
    CHART_DAYS,
    arithmetic_of,
    daily_demand,
    number,
    proposals_visible_to,
    room_under_cap,
    ship_by_window,
)
from restock.services.proposals import (
    REASON_MAX,
    SNOOZE_DAYS_MAX,
    proposal_confirm,
    proposal_decline,
    proposal_snooze,
)

from ..access import SupplierRequest, supplier_required
from ..compliance.evidence import Left
from ..errors import error_summary, show_domain_error

PAGE_SIZE = 25
Status = RestockProposal.Status
# The chart's size in SVG units.
CHART_W, CHART_H = 560, 120


class ConfirmForm(forms.Form):
    quantity = forms.IntegerField(
        label=gettext_lazy("Units to stock"),
        min_value=1,
        max_value=MAX_UNITS,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    ship_by = forms.DateField(
        label=gettext_lazy("Ship by"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why not?"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SnoozeForm(forms.Form):
    days = forms.IntegerField(
        label=gettext_lazy("Snooze for (days)"),
        min_value=1,
        max_value=SNOOZE_DAYS_MAX,
        initial=7,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def _proposals(request: SupplierRequest) -> QuerySet[RestockProposal]:
    # The selector the API and the admin use: a member's own supplier's proposals only.
    return proposals_visible_to(request.user)


def _left(proposal: RestockProposal, today: date) -> Left:
    return Left((timezone.localdate(proposal.expires_at) - today).days)


@supplier_required
@require_GET
def proposals(request: SupplierRequest) -> HttpResponse:
    history = request.GET.get("tab") == "history"
    found = _proposals(request).select_related("stocking_order")
    if history:
        found = found.exclude(status=Status.OPEN).order_by(
            F("decided_at").desc(nulls_last=True), "-updated_at", "-pk"
        )
    else:
        # Urgent first, then what is not snoozed, then the soonest to expire.
        found = found.filter(status=Status.OPEN).order_by(
            "-urgent", F("snoozed_until").asc(nulls_first=True), "expires_at", "pk"
        )
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    today = suppliers_today()
    rows = [
        {
            "proposal": p,
            "snoozed": p.status == Status.OPEN
            and p.snoozed_until is not None
            and p.snoozed_until >= today,
            "left": _left(p, today) if p.status == Status.OPEN else None,
        }
        for p in page.object_list
    ]
    return render(
        request,
        "portal/restock/proposals.html",
        {"page_obj": page, "rows": rows, "restock_tab": "history" if history else "open"},
    )


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    demand: str  # polyline points
    forecast: str
    today_x: float
    top: str
    label: str


def _chart(proposal: RestockProposal, forecast: Forecast | None, today: date) -> Chart:
    """The last 8 weeks of daily demand (solid) and the forecast after today (dashed), on one
    scale; the label says the same in words for a screen reader."""
    demand = daily_demand(proposal.listing_id, end_day=today)
    ahead = [float(x) for x in (forecast.daily if forecast is not None else [])][:CHART_DAYS]
    days = len(demand) + len(ahead)
    top = max([*demand, *ahead, 1.0])
    step = CHART_W / max(days - 1, 1)

    def y(value: float) -> float:
        return round(CHART_H - 4 - (CHART_H - 8) * value / top, 1)

    demand_points = " ".join(f"{round(i * step, 1)},{y(v)}" for i, v in enumerate(demand))
    start = len(demand) - 1
    forecast_points = " ".join(
        f"{round((start + i) * step, 1)},{y(v)}"
        for i, v in enumerate([float(demand[-1]), *ahead] if ahead else [])
    )
    label = _(
        "Demand over the last %(weeks)s weeks: %(units)s units, %(peak)s on the busiest day; "
        "forecast %(rate)s units a day."
    ) % {
        "weeks": CHART_DAYS // 7,
        "units": sum(demand),
        "peak": max(demand),
        "rate": number(proposal.mean_daily),
    }
    return Chart(
        CHART_W, CHART_H, demand_points, forecast_points, round(start * step, 1), number(top), label
    )


def _page(
    request: SupplierRequest,
    proposal: RestockProposal,
    *,
    confirm: ConfirmForm | None = None,
    decline: DeclineForm | None = None,
    snooze: SnoozeForm | None = None,
) -> HttpResponse:
    today = suppliers_today()
    forecast = Forecast.objects.filter(listing_id=proposal.listing_id).first()
    is_open = proposal.status == Status.OPEN
    room = room_under_cap(proposal.listing) if is_open else None
    first, last = ship_by_window(proposal, today)
    if is_open:
        quantity = proposal.quantity if room is None else min(proposal.quantity, room)
        confirm = confirm or ConfirmForm(
            initial={"quantity": max(quantity, 1), "ship_by": min(today + timedelta(days=7), last)}
        )
        confirm.fields["ship_by"].widget.attrs.update(
            {"min": first.isoformat(), "max": last.isoformat()}
        )
        if room is not None:
            confirm.fields["quantity"].widget.attrs["max"] = room
        decline = decline or DeclineForm()
        snooze = snooze or SnoozeForm()
    else:
        confirm = decline = snooze = None
    return render(
        request,
        "portal/restock/proposal_detail.html",
        {
            "proposal": proposal,
            "arithmetic": arithmetic_of(proposal, forecast),
            "forecast": forecast,
            "chart": _chart(proposal, forecast, today),
            "room": room,
            "ship_first": first,
            "ship_last": last,
            "snoozed": is_open
            and proposal.snoozed_until is not None
            and proposal.snoozed_until >= today,
            "left": _left(proposal, today) if is_open else None,
            "confirm_form": confirm,
            "decline_form": decline,
            "snooze_form": snooze,
            "errors": error_summary(confirm, decline, snooze),
            "restock_tab": "open" if is_open else "history",
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def proposal_detail(request: SupplierRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(_proposals(request), pk=pk)
    if request.method != "POST":
        return _page(request, proposal)
    action = request.POST.get("action")
    forms_: dict[str, Any] = {}
    try:
        if action == "confirm":
            confirm = forms_["confirm"] = ConfirmForm(request.POST)
            if confirm.is_valid():
                proposal_confirm(
                    proposal,
                    actor=request.user,
                    quantity=confirm.cleaned_data["quantity"],
                    ship_by=confirm.cleaned_data["ship_by"],
                )
                messages.success(
                    request,
                    _("Confirmed: stocking order #%(id)s is issued.")
                    % {"id": proposal.stocking_order_id},
                )
                return redirect("portal:restock_proposal_detail", pk=pk)
        elif action == "decline":
            decline = forms_["decline"] = DeclineForm(request.POST)
            if decline.is_valid():
                proposal_decline(
                    proposal, actor=request.user, reason=decline.cleaned_data["reason"]
                )
                messages.success(request, _("Proposal declined."))
                return redirect("portal:restock_proposal_detail", pk=pk)
        elif action == "snooze":
            snooze = forms_["snooze"] = SnoozeForm(request.POST)
            if snooze.is_valid():
                proposal_snooze(proposal, actor=request.user, days=snooze.cleaned_data["days"])
                messages.success(
                    request,
                    _("Snoozed until %(day)s.")
                    % {
                        "day": date_format(proposal.snoozed_until) if proposal.snoozed_until else ""
                    },
                )
                return redirect("portal:restock_proposal_detail", pk=pk)
        else:
            messages.error(request, _("Choose confirm, decline or snooze."))
    except DomainError as error:
        show_domain_error(request, error, *forms_.values())
    # Fetched again: after a refusal (answered meanwhile) the page says where it stands.
    return _page(request, get_object_or_404(_proposals(request), pk=pk), **forms_)


urlpatterns: list[URLPattern] = [
    path("restock/", proposals, name="restock_proposals"),
    path("restock/<int:pk>/", proposal_detail, name="restock_proposal_detail"),
]
