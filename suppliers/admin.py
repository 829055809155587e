"""Operator, finance and compliance screens for suppliers and their money. Every state change is
an action (or the ledger's add form) that calls a service; the services refuse illegal moves,
and the refusal is shown as a message or a form error."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from marketplace.admin import admin_actor, apply_each
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.formatting import local_name, money_display
from marketplace.models import Event

from .models import (
    Factory,
    Invitation,
    LedgerEntry,
    Membership,
    Province,
    Supplier,
    WithdrawalRequest,
)
from .selectors import balance_subquery
from .services.ledger import ledger_adjust, ledger_top_up, withdrawal_approve, withdrawal_reject
from .services.status import (
    supplier_activate,
    supplier_approve,
    supplier_reinstate,
    supplier_reject,
    supplier_request_changes,
    supplier_suspend,
    supplier_terminate,
)

# How many of the latest ledger entries and events a supplier's page shows.
LATEST_ROWS = 20


class ReasonActionForm(ActionForm):
    """The action bar with a reason, which the actions pass to the services."""

    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": _("required to reject or stop")}),
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()


class LatestRowsFormSet(BaseInlineFormSet):
    """An inline that shows only the newest rows: a ledger or a history grows without bound."""

    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[:LATEST_ROWS]
        return self._queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Suppliers --------------------------------------------------------------------------------


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

    def _report(self, request: HttpRequest, message: str, done: int) -> None:
        if done:
            self.message_user(request, message % {"n": done}, level=messages.SUCCESS)

    @admin.action(
        description=_("Approve the applications (start onboarding)"), permissions=["change"]
    )
    def approve(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda s: supplier_approve(s, actor=actor, reason=reason)
        )
        self._report(
            request,
            ngettext(
                "%(n)d application approved: onboarding.",
                "%(n)d applications approved: onboarding.",
                done,
            ),
            done,
        )

    @admin.action(
        description=_("Ask the applicants for changes (the reason is the comment)"),
        permissions=["change"],
    )
    def request_changes(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self,
            request,
            queryset,
            lambda s: supplier_request_changes(s, actor=actor, comment=reason),
        )
        self._report(
            request,
            ngettext(
                "%(n)d applicant asked for changes.", "%(n)d applicants asked for changes.", done
            ),
            done,
        )

    @admin.action(
        description=_("Reject the applications (reason required)"), permissions=["change"]
    )
    def reject(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda s: supplier_reject(s, actor=actor, reason=reason)
        )
        self._report(
            request,
            ngettext("%(n)d application rejected.", "%(n)d applications rejected.", done),
            done,
        )

    @admin.action(description=_("Activate (onboarding done)"), permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda s: supplier_activate(s, actor=actor, reason=reason)
        )
        self._report(
            request, ngettext("%(n)d supplier active.", "%(n)d suppliers active.", done), done
        )

    @admin.action(description=_("Suspend (reason required)"), permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda s: supplier_suspend(s, actor=actor, reason=reason)
        )
        self._report(
            request,
            ngettext("%(n)d supplier suspended.", "%(n)d suppliers suspended.", done),
            done,
        )

    @admin.action(description=_("Reinstate suspended suppliers"), permissions=["change"])
    def reinstate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda s: supplier_reinstate(s, actor=actor, reason=reason)
        )
        self._report(
            request,
            ngettext("%(n)d supplier reinstated.", "%(n)d suppliers reinstated.", done),
            done,
        )

    @admin.action(description=_("Terminate (reason required)"), permissions=["change"])
    def terminate(self, request: HttpRequest, queryset: QuerySet[Supplier]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda s: supplier_terminate(s, actor=actor, reason=reason)
        )
        self._report(
            request,
            ngettext("%(n)d supplier terminated.", "%(n)d suppliers terminated.", done),
            done,
        )


# --- Members and invitations ------------------------------------------------------------------


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "supplier", "role"]

    def clean_user(self) -> User:
        user: User = self.cleaned_data["user"]
        if user.is_staff:
            raise forms.ValidationError(
                _("Staff act for the marketplace, not for a supplier: choose a supplier user.")
            )
        if hasattr(user, "api_client"):
            raise forms.ValidationError(_("This is an API client's account, not a person."))
        taken = Membership.objects.filter(user=user).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This user already acts for a supplier."))
        return user


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "supplier", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["user", "supplier"]
    raw_id_fields = ["user", "supplier"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "supplier",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "cancelled_at",
    ]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["email", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier", "invited_by"]
    readonly_fields = (
        "supplier",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "cancelled_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- The ledger -------------------------------------------------------------------------------


class LedgerPostingForm(forms.ModelForm):
    """Finance posts a top-up or an adjustment. The service checks and writes the entry while
    the form is cleaned (inside the admin's transaction), so its refusal becomes an error on the
    field it names and nothing is written."""

    POSTABLE = [LedgerEntry.Kind.TOP_UP, LedgerEntry.Kind.ADJUSTMENT]
    actor: User | None = None  # set by LedgerEntryAdmin.get_form
    entry: LedgerEntry | None = None

    class Meta:
        model = LedgerEntry
        fields = ["kind", "supplier", "amount", "bank_reference", "memo", "corrects"]
        help_texts = {
            "amount": _("CNY. A top-up is positive; an adjustment is signed (minus takes money)."),
            "bank_reference": _("Required for a top-up; each is credited once per supplier."),
            "memo": _("Required for an adjustment: say why. A top-up's memo names the transfer."),
            "corrects": _("For an adjustment: the id of the entry it corrects, if any."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "kind" in self.fields:  # not on the read-only view of an entry
            kind = self.fields["kind"]
            kind.choices = [(k.value, k.label) for k in self.POSTABLE]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            if cleaned["kind"] == LedgerEntry.Kind.TOP_UP:
                if cleaned.get("corrects") is not None:
                    self.add_error("corrects", _("A top-up corrects nothing: post an adjustment."))
                    return cleaned
                self.entry = ledger_top_up(
                    cleaned["supplier"],
                    amount=cleaned["amount"],
                    bank_reference=cleaned.get("bank_reference") or "",
                    actor=self.actor,
                )
            else:
                self.entry = ledger_adjust(
                    cleaned["supplier"],
                    amount=cleaned["amount"],
                    memo=cleaned.get("memo") or "",
                    corrects=cleaned.get("corrects"),
                    actor=self.actor,
                )
        except DomainError as error:
            self._add_domain_error(error)
        return cleaned

    def _add_domain_error(self, error: DomainError) -> None:
        for name, errors in error.fields.items():
            self.add_error(name if name in self.fields else None, list(errors))
        self.add_error(None, error.message)

    def _post_clean(self) -> None:
        # The service validated and saved the entry; the model's own checks would only find it
        # again (the unique bank reference) and refuse it.
        if self.entry is not None:
            self.instance = self.entry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    """Append-only: nobody changes or deletes an entry (the database refuses it too). Finance
    posts top-ups and adjustments through the add form."""

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

    def get_form(
        self,
        request: HttpRequest,
        obj: LedgerEntry | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": admin_actor(request)})

    def save_model(self, request: HttpRequest, obj: LedgerEntry, form: Any, change: bool) -> None:
        # Posted by the service while the form was cleaned (LedgerPostingForm.clean).
        assert obj.pk is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WithdrawalRequest)
class WithdrawalRequestAdmin(admin.ModelAdmin):
    """Finance decides with the actions; amounts and statuses are never edited."""

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission lets finance use the actions; no request is ever edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Approve and pay out"), permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[WithdrawalRequest]) -> None:
        actor = admin_actor(request)
        done = apply_each(self, request, queryset, lambda w: withdrawal_approve(w, actor=actor))
        if done:
            self.message_user(
                request,
                ngettext("%(n)d withdrawal approved.", "%(n)d withdrawals approved.", done)
                % {"n": done},
                level=messages.SUCCESS,
            )

    @admin.action(description=_("Reject (reason required)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[WithdrawalRequest]) -> None:
        actor, reason = admin_actor(request), _reason(request)
        done = apply_each(
            self, request, queryset, lambda w: withdrawal_reject(w, actor=actor, reason=reason)
        )
        if done:
            self.message_user(
                request,
                ngettext("%(n)d withdrawal rejected.", "%(n)d withdrawals rejected.", done)
                % {"n": done},
                level=messages.SUCCESS,
            )
