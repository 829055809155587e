"""Chargebacks for finance and operators: read-only, each with its ledger entries; appeals are
decided by action, upheld (the chargeback is given back) or dismissed, with a note the supplier
reads."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from marketplace.admin_base import ActionsOnlyAdmin, SupplierNameColumn, admin_actor, apply_each
from marketplace.formatting import EMPTY, money_display, when

from ..models import Chargeback
from ..services.chargebacks import chargeback_decide


class DecisionActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: the supplier reads it")}
        ),
    )


@admin.register(Chargeback)
class ChargebackAdmin(SupplierNameColumn, ActionsOnlyAdmin):
    action_form = DecisionActionForm
    # Five columns, two lines where needed: the list fits at 1366 px beside the navigation and
    # the filters.
    list_display = ["number", "supplier_name", "return_and_units", "amount_shown", "status_shown"]
    list_filter = ["status", "charged_at"]
    search_fields = ["=id", "=line__request__id", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier", "line"]
    show_full_result_count = False
    readonly_fields = (
        "supplier",
        "return_link",
        "units",
        "unit_supply_price_shown",
        "handling_fee_shown",
        "amount_shown",
        "entry_link",
        "status",
        "charged_at",
        "appeal_text",
        "appealed_at",
        "decided_at",
        "decided_by",
        "decision_note",
        "reversal_link",
    )
    fields = readonly_fields
    actions = ["uphold", "dismiss"]

    amount_shown = money_display("amount", _("amount"))
    unit_supply_price_shown = money_display("unit_supply_price", _("unit supply price"))
    handling_fee_shown = money_display("handling_fee", _("handling fee"))

    @admin.display(description=_("chargeback"), ordering="charged_at")
    def number(self, chargeback: Chargeback) -> str:
        return format_html(
            '#{}<br><span class="quiet">{}</span>', chargeback.pk, when(chargeback.charged_at)
        )

    @admin.display(description=_("return"), ordering="line__request_id")
    def return_and_units(self, chargeback: Chargeback) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            self.return_link(chargeback),
            ngettext("%(n)d unit", "%(n)d units", chargeback.units) % {"n": chargeback.units},
        )

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, chargeback: Chargeback) -> str:
        if chargeback.decided_at:
            since = _("decided %(at)s") % {"at": when(chargeback.decided_at)}
        elif chargeback.appealed_at:
            since = _("appealed %(at)s") % {"at": when(chargeback.appealed_at)}
        else:
            since = ""
        return format_html(
            '{}<br><span class="quiet">{}</span>', chargeback.get_status_display(), since
        )

    @admin.display(description=_("return"), ordering="line__request_id")
    def return_link(self, chargeback: Chargeback) -> str:
        request_id = chargeback.line.request_id
        url = reverse("admin:returns_returnrequest_change", args=[request_id])
        return format_html('<a href="{}">#{}</a>', url, request_id)

    def _entry(self, entry_id: int | None) -> str:
        if entry_id is None:
            return EMPTY
        url = reverse("admin:suppliers_ledgerentry_change", args=[entry_id])
        return format_html('<a href="{}">#{}</a>', url, entry_id)

    @admin.display(description=_("ledger entry"))
    def entry_link(self, chargeback: Chargeback) -> str:
        return self._entry(chargeback.entry_id)

    @admin.display(description=_("reversal"))
    def reversal_link(self, chargeback: Chargeback) -> str:
        return self._entry(chargeback.reversal_id)

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[Chargeback], *, uphold: bool, done: Any
    ) -> None:
        actor, note = admin_actor(request), request.POST.get("note", "")
        apply_each(
            self,
            request,
            queryset,
            lambda chargeback: chargeback_decide(chargeback, uphold=uphold, note=note, actor=actor),
            done,
        )

    @admin.action(
        description=_("Uphold the appeal and give the chargeback back (note required)"),
        permissions=["change"],
    )
    def uphold(self, request: HttpRequest, queryset: QuerySet[Chargeback]) -> None:
        self._decide(
            request,
            queryset,
            uphold=True,
            done=ngettext_lazy(
                "%(n)d appeal upheld; the reversal is posted to the deposit.",
                "%(n)d appeals upheld; the reversals are posted to the deposit.",
                "n",
            ),
        )

    @admin.action(description=_("Dismiss the appeal (note required)"), permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Chargeback]) -> None:
        self._decide(
            request,
            queryset,
            uphold=False,
            done=ngettext_lazy("%(n)d appeal dismissed.", "%(n)d appeals dismissed.", "n"),
        )
