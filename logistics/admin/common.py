"""Helpers shared by the logistics admin screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..models import (
    InboundLine,
    InboundShipment,
)

EMPTY = "-"
# How many of a position's latest movements its page shows: the ledger grows without bound.
LATEST_MOVEMENTS = 50
IS = InboundShipment.Status


def _listing_title(listing: Any) -> str:
    return f"{listing.product.title_en} (#{listing.pk})"


def _link(name: str, pk: Any, text: Any) -> str:
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{name}", args=[pk]), text)


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required to cancel: the supplier reads it")}
        ),
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()


def _over_short(line: InboundLine) -> str:
    value = line.discrepancy
    if value is None:
        return EMPTY
    return f"{value:+d}" if value else "0"


def _line_work(line: InboundLine) -> str:
    """The count and inspect pages of a line, as links."""
    links = [(reverse("admin:logistics_inboundline_count", args=[line.pk]), _("count"))]
    if line.received is not None:
        links.append((reverse("admin:logistics_inboundline_inspect", args=[line.pk]), _("inspect")))
    return format_html_join(" · ", '<a href="{}">{}</a>', links)


def _line_result(line: InboundLine) -> str:
    inspection = getattr(line, "inspection", None)
    return EMPTY if inspection is None else inspection.get_result_display()


class InboundLineColumns:
    """A line's columns, on its shipment's page (the inline) and at the receiving desk."""

    @admin.display(description=_("listing"))
    def listing_title(self, line: InboundLine) -> str:
        return _listing_title(line.listing)

    @admin.display(description=_("over (+) / short (-)"))
    def over_short(self, line: InboundLine) -> str:
        return _over_short(line)

    @admin.display(description=_("inspection"))
    def result(self, line: InboundLine) -> str:
        return _line_result(line)

    @admin.display(description=_("receiving"))
    def work(self, line: InboundLine) -> str:
        return _line_work(line)
