"""Suppliers: their applications and states (the actions), factories, members, and the latest of
their ledger and history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import LatestRowsFormSet, ReadOnlyInline, admin_actor, apply_each
from marketplace.admin_export import export_csv
from marketplace.formatting import local_name, money_display
from marketplace.models import Event

from ..models import Factory, LedgerEntry, Membership, Province, Supplier
from ..selectors import balance_subquery
from ..services.status import (
    supplier_activate,
    supplier_approve,
    supplier_reinstate,
    supplier_reject,
    supplier_request_changes,
    supplier_suspend,
    supplier_terminate,
)
from .common import ReasonActionForm, _reason


class ProvinceFilter(admin.SimpleListFilter):
    title = _("province")
    parameter_name = "province"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return Province.choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> QuerySet[Supplier]:
        if not self.value():
            return queryset
        # A supplier with two factories in the province is one row; its balance is a subquery,
        # so the join cannot multiply it either.
        return queryset.filter(factories__province=self.value()).distinct()


class FactoryInline(admin.TabularInline):
    model = Factory
    extra = 0
    fields = ["province", "city", "address", "industrial_cluster"]


class MembershipInline(ReadOnlyInline):
    model = Membership
    readonly_fields = ("user", "role", "created_at")
    fields = readonly_fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return super().get_queryset(request).select_related("user")


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    formset = LatestRowsFormSet
    readonly_fields = (
        "posted_at",
        "kind",
        "amount_shown",
        "memo",
        "bank_reference",
        "posted_by",
        "corrects",
    )
    fields = readonly_fields
    ordering = ["-posted_at", "-id"]
    show_change_link = True
    verbose_name_plural = _("latest ledger entries (all of them under Ledger entries)")

    amount_shown = money_display("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[LedgerEntry]:
        return super().get_queryset(request).select_related("posted_by", "corrects")


class EventInline(ReadOnlyInline):
    model = Event
    formset = LatestRowsFormSet
    readonly_fields = ("occurred_at", "kind", "actor", "reason")
    fields = readonly_fields
    ordering = ["-occurred_at", "-id"]
    verbose_name_plural = _("history (latest events)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("actor")


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    action_form = ReasonActionForm
    # Fits 1366 px beside the navigation and the filters: the credit code and the dates are on
    # the supplier's page (the search finds a credit code).
    list_display = ["names", "status_shown", "jit_status", "balance", "provinces"]
    export_display = [
        "name_en",
        "name_zh",
        "credit_code",
        "status",
        "changes_requested",
        "jit_status",
        "balance",
        "provinces",
        "created_at",
    ]
    list_filter = ["status", "jit_status", ProvinceFilter, "changes_requested"]
    search_fields = ["name_en", "name_zh", "credit_code"]
    # They change only through the actions (the services), never by editing the form.
    readonly_fields = [
        "status",
        "status_changed_at",
        "changes_requested",
        "review_comment",
        "jit_status",
        "jit_status_reason",
        "jit_status_changed_at",
        "balance",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name_zh",
                    "name_en",
                    "credit_code",
                    "contact_name",
                    "contact_phone",
                    "contact_email",
                    "intended_categories",
                    "business_licence",
                    "created_at",
                ]
            },
        ),
        (
            _("Status (change it with the actions on the list)"),
            {"fields": ["status", "status_changed_at", "changes_requested", "review_comment"]},
        ),
        (
            _("JIT and deposit"),
            {"fields": ["jit_status", "jit_status_reason", "jit_status_changed_at", "balance"]},
        ),
    ]
    inlines = [FactoryInline, MembershipInline, LedgerEntryInline, EventInline]
    actions = [
        "approve",
        "request_changes",
        "reject",
        "activate",
        "suspend",
        "reinstate",
        "terminate",
        export_csv,
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Supplier]:
        return (
            super()
            .get_queryset(request)
            .annotate(balance=balance_subquery())
            .prefetch_related("factories")
        )

    @admin.display(description=_("supplier"), ordering="name_en")
    def names(self, supplier: Supplier) -> str:
        """Both names, the reader's language first."""
        first = local_name(supplier.name_en, supplier.name_zh)
        second = supplier.name_zh if first == supplier.name_en else supplier.name_en
        return format_html('{}<br><span class="quiet">{}</span>', first, second)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, supplier: Supplier) -> str:
        if not supplier.changes_requested:
            return supplier.get_status_display()
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            supplier.get_status_display(),
            _("changes requested"),
        )

    balance = money_display("balance", _("balance"))

    @admin.display(description=_("provinces"))
    def provinces(self, supplier: Supplier) -> str:
        return ", ".join(
            sorted({str(factory.get_province_display()) for factory in supplier.factories.all()})
        )

    def _move(
        self,
        request: HttpRequest,
        queryset: QuerySet[Supplier],
        move: Callable[..., object],
        done: Any,
    ) -> None:
        """`move` is a status service; the reason in the action bar goes to it."""
        actor, reason = admin_actor(request), _reason(request)
        apply_each(self, request, queryset, lambda s: move(s, actor=actor, reason=reason), done)

    @admin.action(
        description=_("Approve the applications (start onboarding)"), permissions=["change"]
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        self._move(
            request,
            queryset,
            supplier_approve,
            ngettext_lazy(
                "%(n)d application approved: onboarding.",
                "%(n)d applications approved: onboarding.",
                "n",
            ),
        )

    @admin.action(
        description=_("Ask the applicants for changes (the reason is the comment)"),
        permissions=["change"],
    )
    def request_changes(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, comment = admin_actor(request), _reason(request)
        apply_each(
            self,
            request,
            queryset,
            lambda s: supplier_request_changes(s, actor=actor, comment=comment),
            ngettext_lazy(
                "%(n)d applicant asked for changes.", "%(n)d applicants asked for changes.", "n"
            ),
        )

    @admin.action(
        description=_("Reject the applications (reason required)"), permissions=["change"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        self._move(
            request,
            queryset,
            supplier_reject,
            ngettext_lazy("%(n)d application rejected.", "%(n)d applications rejected.", "n"),
        )

    @admin.action(description=_("Activate (onboarding done)"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        self._move(
            request,
            queryset,
            supplier_activate,
            ngettext_lazy("%(n)d supplier active.", "%(n)d suppliers active.", "n"),
        )

    @admin.action(description=_("Suspend (reason required)"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        self._move(
            request,
            queryset,
            supplier_suspend,
            ngettext_lazy("%(n)d supplier suspended.", "%(n)d suppliers suspended.", "n"),
        )

    @admin.action(description=_("Reinstate suspended suppliers"), permissions=["change"])
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        self._move(
            request,
            queryset,
            supplier_reinstate,
            ngettext_lazy("%(n)d supplier reinstated.", "%(n)d suppliers reinstated.", "n"),
        )

    @admin.action(description=_("Terminate (reason required)"), permissions=["change"])
    def terminate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        self._move(
            request,
            queryset,
            supplier_terminate,
            ngettext_lazy("%(n)d supplier terminated.", "%(n)d suppliers terminated.", "n"),
        )
