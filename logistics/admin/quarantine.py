"""Quarantined stock (enforcement): units of a failed lot held back from sale, released or
written off by a compliance officer with a note (the actions, through the services)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import ActionsOnlyAdmin, admin_actor, apply_each
from marketplace.admin_export import export_csv

from ..models import Quarantine
from ..services.quarantine import quarantine_release, quarantine_write_off
from .common import _listing_title


class QuarantineActionForm(ActionForm):
    note = forms.CharField(
        label=_("Note:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 60, "placeholder": _("required: say why")}),
    )


@admin.register(Quarantine)
class QuarantineAdmin(ActionsOnlyAdmin):
    """The job quarantines a failed lot's available units; an officer releases them (back to
    available) or writes them off (out of on hand). Never added or edited here."""

    action_form = QuarantineActionForm
    list_display = [
        "id",
        "held_at",
        "supplier",
        "listing_title",
        "warehouse",
        "lot",
        "quantity",
        "status",
        "case",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "held_at"]
    search_fields = [
        "supplier__name_en",
        "supplier__name_zh",
        "position__listing__product__title_en",
        "position__listing__product__title_zh",
    ]
    list_select_related = [
        "supplier",
        "position__listing__product",
        "position__warehouse",
        "decided_by",
        "case",
        "lot",
    ]
    show_full_result_count = False
    readonly_fields = (
        "case",
        "supplier",
        "listing_title",
        "warehouse",
        "lot",
        "quantity",
        "status",
        "held_at",
        "decided_by",
        "decided_at",
        "note",
    )
    fields = readonly_fields
    actions = ["release", "write_off", export_csv]

    @admin.display(description=_("listing"), ordering="position__listing__product__title_en")
    def listing_title(self, quarantine: Quarantine) -> str:
        return _listing_title(quarantine.position.listing)

    @admin.display(description=_("warehouse"), ordering="position__warehouse__code")
    def warehouse(self, quarantine: Quarantine) -> object:
        return quarantine.position.warehouse

    def _note(self, request: HttpRequest) -> str:
        return request.POST.get("note", "").strip()

    @admin.action(
        description=_("Release the units for sale (note required)"), permissions=["change"]
    )
    def release(self, request: HttpRequest, queryset: QuerySet[Quarantine]) -> None:
        actor, note = admin_actor(request), self._note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda q: quarantine_release(q, note=note, actor=actor),
            ngettext_lazy("%(n)d quarantine released.", "%(n)d quarantines released.", "n"),
        )

    @admin.action(description=_("Write the units off (note required)"), permissions=["change"])
    def write_off(self, request: HttpRequest, queryset: QuerySet[Quarantine]) -> None:
        actor, note = admin_actor(request), self._note(request)
        apply_each(
            self,
            request,
            queryset,
            lambda q: quarantine_write_off(q, note=note, actor=actor),
            ngettext_lazy("%(n)d quarantine written off.", "%(n)d quarantines written off.", "n"),
        )
