"""Penalties (the sweep's, read-only, with their evidence) and the appeals operators decide."""

from __future__ import annotations

import os
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_actor,
    apply_each,
)
from marketplace.admin_export import export_csv
from marketplace.files import private_file
from marketplace.formatting import EMPTY, money_display

from ..evidence import evidence_table, times_goods_value
from ..models import Appeal, AppealAttachment, Penalty
from ..services.orders import appeal_decide


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    """The sweep's penalties, exactly once per order and tier; read-only, with their evidence.
    A penalty changes only through an appeal's decision."""

    list_display = [
        "assessed_at",
        "order_link",
        "supplier",
        "tier",
        "multiple_shown",
        "amount_shown",
        "status",
        "rule_version",
    ]
    list_filter = ["tier", "status", "assessed_at", "rule_version"]
    search_fields = [
        "order__external_id",
        "order__waybill",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    list_select_related = ["supplier"]
    show_full_result_count = False
    readonly_fields = (
        "order_link",
        "supplier",
        "tier",
        "multiple_shown",
        "amount_shown",
        "rule_version",
        "status",
        "assessed_at",
        "reversed_at",
        "reversal_reason",
        "ledger_entry_link",
        "appeal_link",
        "evidence_shown",
    )
    fields = readonly_fields
    actions = [export_csv]

    amount_shown = money_display("amount", _("amount"))

    @admin.display(description=_("multiple of goods value"), ordering="multiple")
    def multiple_shown(self, penalty: Penalty) -> str:
        return times_goods_value(penalty.multiple)

    @admin.display(description=_("order"), ordering="order_id")
    def order_link(self, penalty: Penalty) -> str:
        url = reverse("admin:orders_jitorder_change", args=[penalty.order_id])
        return format_html('<a href="{}">#{}</a>', url, penalty.order_id)

    @admin.display(description=_("ledger entry"))
    def ledger_entry_link(self, penalty: Penalty) -> str:
        if penalty.ledger_entry_id is None:
            return EMPTY
        url = reverse("admin:suppliers_ledgerentry_change", args=[penalty.ledger_entry_id])
        return format_html('<a href="{}">#{}</a>', url, penalty.ledger_entry_id)

    @admin.display(description=_("appeal"))
    def appeal_link(self, penalty: Penalty) -> str:
        appeal = Appeal.objects.filter(penalty=penalty).only("pk", "decision").first()
        if appeal is None:
            return EMPTY
        url = reverse("admin:orders_appeal_change", args=[appeal.pk])
        return format_html(
            '<a href="{}">{}</a>', url, appeal.get_decision_display() or _("waiting")
        )

    @admin.display(description=_("evidence"))
    def evidence_shown(self, penalty: Penalty) -> str:
        return evidence_table(penalty.evidence)


# --- Appeals ------------------------------------------------------------------------------------


class AppealActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: the supplier reads it")}
        ),
    )


class PendingFilter(admin.SimpleListFilter):
    title = _("decided")
    parameter_name = "pending"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("yes", _("Waiting for a decision")), ("no", _("Decided"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
        if self.value() == "yes":
            return queryset.filter(decision="")
        if self.value() == "no":
            return queryset.exclude(decision="")
        return queryset


class AppealAttachmentInline(ReadOnlyInline):
    """The supplier's evidence, for those who may open it (orders.view_appealattachment)."""

    model = AppealAttachment
    readonly_fields = ("link",)
    fields = readonly_fields

    @admin.display(description=_("file"))
    def link(self, attachment: AppealAttachment) -> str:
        url = reverse("admin:orders_appeal_attachment", args=[attachment.appeal_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, os.path.basename(attachment.file.name))


@admin.register(Appeal)
class AppealAdmin(ActionsOnlyAdmin):
    """Operators uphold or waive an appealed penalty with a reason (the action bar); a waiver
    posts a reversal to the deposit. Appeals are never edited."""

    # Never added here: suppliers appeal in the portal.
    # The change permission is for the decisions (actions); no appeal is edited.

    action_form = AppealActionForm
    list_display = [
        "submitted_at",
        "penalty_link",
        "supplier",
        "amount",
        "submitted_by",
        "decision",
        "decided_by",
        "decided_at",
    ]
    list_filter = [PendingFilter, "decision", "penalty__tier"]
    search_fields = [
        "penalty__order__external_id",
        "penalty__supplier__name_en",
        "penalty__supplier__name_zh",
        "reason",
    ]
    list_select_related = ["penalty__supplier", "submitted_by", "decided_by"]
    readonly_fields = (
        "penalty_link",
        "supplier",
        "amount",
        "reason",
        "submitted_by",
        "submitted_at",
        "decision",
        "decision_reason",
        "decided_by",
        "decided_at",
        "evidence_shown",
    )
    fields = readonly_fields
    inlines = [AppealAttachmentInline]
    actions = ["uphold", "waive", export_csv]

    @admin.display(description=_("penalty"), ordering="penalty__assessed_at")
    def penalty_link(self, appeal: Appeal) -> str:
        penalty = appeal.penalty
        url = reverse("admin:orders_penalty_change", args=[penalty.pk])
        return format_html(
            '<a href="{}">{} · {} #{}</a>',
            url,
            penalty.get_tier_display(),
            _("order"),
            penalty.order_id,
        )

    @admin.display(description=_("supplier"), ordering="penalty__supplier__name_en")
    def supplier(self, appeal: Appeal) -> Any:
        return appeal.penalty.supplier

    amount = money_display("penalty__amount", _("amount"))

    @admin.display(description=_("evidence of the penalty"))
    def evidence_shown(self, appeal: Appeal) -> str:
        return evidence_table(appeal.penalty.evidence)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="orders_appeal_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(
        self, request: HttpRequest, object_id: int, attachment_id: int
    ) -> FileResponse:
        if not request.user.has_perm("orders.view_appealattachment"):
            raise PermissionDenied
        attachment = get_object_or_404(AppealAttachment, pk=attachment_id, appeal_id=object_id)
        return private_file(attachment.file)

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[Appeal], *, waive: bool, done: Any
    ) -> None:
        actor, reason = admin_actor(request), request.POST.get("reason", "").strip()
        apply_each(
            self,
            request,
            queryset,
            lambda appeal: appeal_decide(appeal, waive=waive, reason=reason, actor=actor),
            done,
        )

    @admin.action(description=_("Uphold the penalty (reason required)"), permissions=["change"])
    def uphold(self, request: HttpRequest, queryset: QuerySet[Appeal]) -> None:
        self._decide(
            request,
            queryset,
            waive=False,
            done=ngettext_lazy("%(n)d penalty upheld.", "%(n)d penalties upheld.", "n"),
        )

    @admin.action(
        description=_("Waive the penalty and refund it (reason required)"),
        permissions=["change"],
    )
    def waive(self, request: HttpRequest, queryset: QuerySet[Appeal]) -> None:
        self._decide(
            request,
            queryset,
            waive=True,
            done=ngettext_lazy(
                "%(n)d penalty waived; the reversal is posted to the deposit.",
                "%(n)d penalties waived; the reversals are posted to the deposit.",
                "n",
            ),
        )
