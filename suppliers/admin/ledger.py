"""The deposit ledger (finance posts top-ups and adjustments through the add form) and the
withdrawal requests finance decides."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    ServiceAddAdmin,
    ServiceInputForm,
    admin_actor,
    apply_each,
)
from marketplace.admin_export import export_csv
from marketplace.formatting import money_display

from ..models import LedgerEntry, WithdrawalRequest
from ..services.ledger import (
    ledger_adjust,
    ledger_chargeback,
    ledger_top_up,
    withdrawal_approve,
    withdrawal_reject,
)
from .common import ReasonActionForm, _reason


class LedgerPostingForm(ServiceInputForm):
    """Finance posts a top-up, a chargeback or an adjustment: the form checks the input, and
    LedgerEntryAdmin.service_add posts it through the ledger's service, whose refusal is an error
    on the field it names (nothing is written)."""

    POSTABLE = [LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.CHARGEBACK, LedgerEntry.Kind.ADJUSTMENT]

    class Meta:
        model = LedgerEntry
        fields = ["kind", "supplier", "amount", "bank_reference", "memo", "corrects"]
        help_texts = {
            "amount": _(
                "CNY. A top-up and a chargeback are positive (a chargeback takes it); an "
                "adjustment is signed (minus takes money)."
            ),
            "bank_reference": _("Required for a top-up; each is credited once per supplier."),
            "memo": _(
                "Required for an adjustment (say why) and a chargeback (say which claim). A "
                "top-up's memo names the transfer."
            ),
            "corrects": _("For an adjustment: the id of the entry it corrects, if any."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:  # not on the read-only view of an entry
            kind = self.fields["kind"]
            kind.choices = [(k.value, k.label) for k in self.POSTABLE]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # Which fields go with which kind: a top-up has no entry to correct.
        if (
            cleaned.get("kind") != LedgerEntry.Kind.ADJUSTMENT
            and cleaned.get("corrects") is not None
        ):
            self.add_error("corrects", _("Only an adjustment corrects an entry."))
        return cleaned


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ServiceAddAdmin):
    """Append-only: nobody changes or deletes an entry (the database refuses it too). Finance
    posts top-ups, chargebacks and adjustments through the add form."""

    list_display = [
        "posted_at",
        "supplier",
        "kind",
        "amount_shown",
        "posted_by",
        "memo",
        "bank_reference",
        "corrects",
    ]
    list_filter = ["kind"]
    date_hierarchy = "posted_at"
    search_fields = ["supplier__name_en", "supplier__name_zh", "bank_reference", "memo"]
    list_select_related = ["supplier", "posted_by", "corrects"]
    raw_id_fields = ["supplier", "corrects"]
    form = LedgerPostingForm
    actions = [export_csv]
    view_fields = [
        "supplier",
        "kind",
        "amount_shown",
        "memo",
        "bank_reference",
        "corrects",
        "reference_type",
        "reference_id",
        "posted_by",
        "posted_at",
    ]

    amount_shown = money_display("amount", _("amount"))

    def get_fields(self, request: HttpRequest, obj: LedgerEntry | None = None) -> Any:
        return LedgerPostingForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: LedgerEntry | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> LedgerEntry:
        actor = admin_actor(request)
        if data["kind"] == LedgerEntry.Kind.TOP_UP:
            return ledger_top_up(
                data["supplier"],
                amount=data["amount"],
                bank_reference=data.get("bank_reference") or "",
                actor=actor,
            )
        if data["kind"] == LedgerEntry.Kind.CHARGEBACK:
            return ledger_chargeback(
                data["supplier"],
                amount=data["amount"],
                memo=data.get("memo") or "",
                reference=None,
                actor=actor,
            )
        return ledger_adjust(
            data["supplier"],
            amount=data["amount"],
            memo=data.get("memo") or "",
            corrects=data.get("corrects"),
            actor=actor,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(ActionsOnlyAdmin):
    """Finance decides with the actions; amounts and statuses are never edited."""

    # The change permission lets finance use the actions; no request is ever edited.

    action_form = ReasonActionForm
    list_display = [
        "requested_at",
        "supplier",
        "amount_shown",
        "bank_account",
        "status",
        "requested_by",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    list_filter = ["status"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "bank_account"]
    list_select_related = ["supplier", "requested_by", "decided_by"]
    date_hierarchy = "requested_at"
    actions = ["approve", "reject"]
    readonly_fields = (
        "supplier",
        "amount_shown",
        "bank_account",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_reason",
        "entry",
    )
    fields = readonly_fields

    amount_shown = money_display("amount", _("amount"))

    @admin.action(description=_("Approve and pay out"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[WithdrawalRequest]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda w: withdrawal_approve(w, actor=actor),
            ngettext_lazy("%(n)d withdrawal approved.", "%(n)d withdrawals approved.", "n"),
        )

    @admin.action(description=_("Reject (reason required)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[WithdrawalRequest]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        apply_each(
            self,
            request,
            queryset,
            lambda w: withdrawal_reject(w, actor=actor, reason=reason),
            ngettext_lazy("%(n)d withdrawal rejected.", "%(n)d withdrawals rejected.", "n"),
        )
