"""Enforcement cases and market holds, for compliance officers. Cases are opened by the job,
never here; officers uphold or overturn an appealed case with a note (the action bar) and open
the supplier's evidence; holds are placed by hand through the service (the add form) and
lifted with a note (an action)."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    ServiceAddAdmin,
    ServiceInputForm,
    SupplierNameColumn,
    admin_actor,
    apply_each,
)
from marketplace.admin_export import export_csv
from marketplace.files import private_file
from marketplace.formatting import EMPTY, local_name, money_display, when

from ..models import EnforcementCase, MarketHold
from ..selectors.enforcement import cases_visible_to, market_holds_visible_to
from ..services.enforcement import case_overturn, case_uphold, market_hold_lift, market_hold_place


class NoteActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: the supplier reads it")}
        ),
    )


def _note(request: HttpRequest) -> str:
    return request.POST.get("note", "").strip()


@admin.register(EnforcementCase)
class EnforcementCaseAdmin(SupplierNameColumn, ActionsOnlyAdmin):
    """The cases the job opened from failed tests: their step, what they hold, their fine and
    the appeal; an appealed case is upheld or overturned here, with a note."""

    action_form = NoteActionForm
    list_display = [
        "opened_at",
        "supplier_name",
        "listing_title",
        "step",
        "status",
        "markets_held",
        "fine_shown",
        "appeal_deadline",
    ]
    list_filter = ["status", "step", "opened_at"]
    search_fields = [
        "supplier__name_en",
        "supplier__name_zh",
        "listing__product__title_en",
        "listing__product__title_zh",
        "test_record__report_number",
    ]
    show_full_result_count = False
    readonly_fields = (
        "supplier",
        "listing_title",
        "record_link",
        "standard",
        "step",
        "status",
        "opened_at",
        "markets_held",
        "fine_shown",
        "fine_reversal_shown",
        "suspended_supplier",
        "appeal_deadline",
        "appeal_text",
        "evidence_link",
        "appealed_at",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    fields = readonly_fields
    actions = ["uphold", "overturn", export_csv]

    fine_shown = money_display("fine_entry__amount", _("fine"))
    fine_reversal_shown = money_display("fine_reversal__amount", _("fine given back"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[EnforcementCase]:
        return cases_visible_to(admin_actor(request)).prefetch_related(
            Prefetch(
                "holds",
                queryset=MarketHold.objects.order_by("market", "listing_id"),
                to_attr="all_holds",
            )
        )

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, case: EnforcementCase) -> str:
        product = case.listing.product
        title = local_name(product.title_en, product.title_zh)
        return f"#{case.listing_id} {title} · {case.test_record.standard.code}"

    @admin.display(description=_("standard"), ordering="test_record__standard__code")
    def standard(self, case: EnforcementCase) -> str:
        return case.test_record.standard.code

    @admin.display(description=_("test record"))
    def record_link(self, case: EnforcementCase) -> str:
        url = reverse("admin:compliance_testrecord_change", args=[case.test_record_id])
        return format_html(
            '<a href="{}">{} ({})</a>',
            url,
            case.test_record.report_number,
            case.test_record.lab.name,
        )

    @admin.display(description=_("markets held"))
    def markets_held(self, case: EnforcementCase) -> str:
        holds = getattr(case, "all_holds", None)
        if holds is None:
            holds = list(case.holds.all())
        markets = sorted({h.market for h in holds if h.lifted_at is None})
        return ", ".join(markets) or EMPTY

    @admin.display(description=_("appeal until"), ordering="opened_at")
    def appeal_deadline(self, case: EnforcementCase) -> str:
        return when(case.appeal_until)

    @admin.display(description=_("appeal evidence"))
    def evidence_link(self, case: EnforcementCase) -> str:
        if not case.appeal_file:
            return EMPTY
        url = reverse("admin:compliance_enforcementcase_evidence", args=[case.pk])
        return format_html('<a href="{}">{}</a>', url, os.path.basename(case.appeal_file.name))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/evidence/",
                self.admin_site.admin_view(self.evidence_view),
                name="compliance_enforcementcase_evidence",
            ),
            *super().get_urls(),
        ]

    def evidence_view(self, request: HttpRequest, object_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        case = get_object_or_404(cases_visible_to(admin_actor(request)), pk=object_id)
        return private_file(case.appeal_file)

    @admin.action(description=_("Uphold the appealed case (note required)"), permissions=["change"])
    def uphold(self, request: HttpRequest, queryset: QuerySet[EnforcementCase]) -> None:
        actor, note = admin_actor(request), _note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda case: case_uphold(case, note=note, actor=actor),
            ngettext_lazy("%(n)d case upheld.", "%(n)d cases upheld.", "n"),
        )

    @admin.action(
        description=_(
            "Overturn the appealed case: reverse its fine, lift its holds (note required)"
        ),
        permissions=["change"],
    )
    def overturn(self, request: HttpRequest, queryset: QuerySet[EnforcementCase]) -> None:
        actor, note = admin_actor(request), _note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda case: case_overturn(case, note=note, actor=actor),
            ngettext_lazy("%(n)d case overturned.", "%(n)d cases overturned.", "n"),
        )


# --- Holds ----------------------------------------------------------------------------------------


class MarketHoldPlaceForm(ServiceInputForm):
    """An officer holds a listing off sale in a market: the form checks the input, the service
    places the hold (or returns the officer's hold already in force there)."""

    class Meta:
        model = MarketHold
        fields = ["listing", "market", "note"]
        help_texts = {"note": _("Why: the supplier reads it.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "note" in self.fields:
            self.fields["note"].required = True


@admin.register(MarketHold)
class MarketHoldAdmin(ServiceAddAdmin):
    """Holds in force and past: an enforcement case's (lifted by overturning the case) and the
    officers' own (placed with the add form, lifted with a note by the action)."""

    form = MarketHoldPlaceForm
    action_form = NoteActionForm
    list_display = [
        "id",
        "listing",
        "market",
        "reason",
        "case",
        "note",
        "started_at",
        "lifted_at",
        "lifted_by",
    ]
    list_filter = ["market", "reason", ("lifted_at", admin.EmptyFieldListFilter)]
    search_fields = ["listing__product__title_en", "listing__product__title_zh", "note"]
    autocomplete_fields = ["listing"]
    show_full_result_count = False
    view_fields = [
        "listing",
        "market",
        "reason",
        "case",
        "note",
        "started_at",
        "placed_by",
        "lifted_at",
        "lifted_by",
        "lift_note",
    ]
    actions = ["lift", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MarketHold]:
        return market_holds_visible_to(admin_actor(request)).select_related("lifted_by")

    def get_fields(self, request: HttpRequest, obj: MarketHold | None = None) -> Any:
        return MarketHoldPlaceForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: MarketHold | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> MarketHold:
        return market_hold_place(
            data["listing"], market=data["market"], note=data["note"], actor=admin_actor(request)
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the lift action; a hold is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Lift the hold (note required)"), permissions=["change"])
    def lift(self, request: HttpRequest, queryset: QuerySet[MarketHold]) -> None:
        actor, note = admin_actor(request), _note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda hold: market_hold_lift(hold, note=note, actor=actor),
            ngettext_lazy("%(n)d hold lifted.", "%(n)d holds lifted.", "n"),
        )
