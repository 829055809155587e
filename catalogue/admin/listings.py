"""Listings: their moves (the actions), their retail prices (rows on a listing's page) and what
an operator weighs in price review."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.views.main import ChangeList
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from compliance.selectors.answer import listing_answers
from marketplace.admin_base import ReadOnlyInline, admin_actor, apply_each, report_success
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.formatting import money, money_display, when

from ..models import Listing, ListingPrice, Market, OverseasStock, PriceRound
from ..selectors import (
    listing_history,
    sellable_markets_of,
    supplier_agreed_prices,
    with_compliance,
)
from ..services.listings import (
    listing_compliance_approve,
    listing_publish,
    listing_restock_set,
    listing_resume,
    listing_transition,
    retail_price_set,
)
from .common import EMPTY, CategoryTreeFilter, _agreed_elsewhere_html, _band, _post

S = Listing.Status


class ListingActionForm(ActionForm):
    """The action bar: a reason for the state moves, a market and amount for a retail price."""

    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("required to delist")}),
    )
    market = forms.ChoiceField(
        label=_("Market:"), required=False, choices=[("", "---------"), *Market.choices]
    )
    # Text, parsed by the action: an unparsable amount is reported, not dropped silently.
    amount = forms.CharField(
        label=_("Retail price:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 10, "placeholder": _("in the market's currency")}),
    )


class ListingCategoryFilter(CategoryTreeFilter):
    field = "product__category_id"


class DeadStockFilter(admin.SimpleListFilter):
    """Listings the restock run found with no order in RESTOCK_DEAD_DAYS (no proposal; their stock
    is offered back to the supplier)."""

    title = _("dead stock")
    parameter_name = "dead_stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("yes", _("Dead stock")), ("no", _("Still selling"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Listing]) -> QuerySet[Listing]:
        if self.value() == "yes":
            return queryset.filter(dead_stock_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(dead_stock_since__isnull=True)
        return queryset


class ListingPriceForm(forms.ModelForm):
    class Meta:
        model = ListingPrice
        fields = ["market", "amount"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # A row is one market's price: change its amount, or add a row for another market.
            self.fields["market"].disabled = True


class ListingPriceInline(admin.TabularInline):
    """Retail prices per market, saved by `retail_price_set` (ListingAdmin.save_formset)."""

    model = ListingPrice
    form = ListingPriceForm
    fields = ["market", "amount", "currency", "set_by", "set_at"]
    readonly_fields = ["currency", "set_by", "set_at"]
    extra = 1
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ListingPrice]:
        return super().get_queryset(request).select_related("set_by")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OverseasStockInline(ReadOnlyInline):
    model = OverseasStock
    readonly_fields = ("market", "quantity", "reported_at", "reported_by")
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OverseasStock]:
        return super().get_queryset(request).select_related("reported_by")


class PriceRoundInline(ReadOnlyInline):
    model = PriceRound
    readonly_fields = (
        "number",
        "status",
        "proposed",
        "countered",
        "supplier_note",
        "operator_note",
        "reviewed_by",
        "opened_at",
        "closed_at",
    )
    fields = readonly_fields
    show_change_link = True
    proposed = money_display("proposed_price", _("proposed price"))
    countered = money_display("counter_price", _("counter price"))
    verbose_name_plural = _("price rounds (answer them under Price rounds)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceRound]:
        return super().get_queryset(request).select_related("reviewed_by")


class ListingChangeList(ChangeList):
    """The page's compliance is read set-based for the "sellable in" column (a few queries for
    the page, not two per row)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        with_compliance(self.result_list)


class ListingRestockForm(forms.ModelForm):
    """The one part of a listing edited on its page: how it is restocked (case pack, production
    lead time), saved through the service."""

    class Meta:
        model = Listing
        fields = ["case_pack", "production_lead_days"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, low, high in (("case_pack", 1, 100_000), ("production_lead_days", 0, 365)):
            if name in self.fields:
                field = self.fields[name]
                assert isinstance(field, forms.IntegerField)
                field.min_value, field.max_value = low, high
                field.validators = [
                    *field.validators,
                    MinValueValidator(low),
                    MaxValueValidator(high),
                ]
        if "case_pack" in self.fields:
            self.fields["case_pack"].required = False

    # A page posted without these fields (a script saving an inline) keeps the listing's values.

    def clean_case_pack(self) -> int:
        value = self.cleaned_data.get("case_pack")
        return self.instance.case_pack if value is None else int(value)

    def clean_production_lead_days(self) -> int | None:
        if self.add_prefix("production_lead_days") not in self.data:
            return self.instance.production_lead_days
        value = self.cleaned_data.get("production_lead_days")
        return None if value is None else int(value)


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    """Listings move only through the actions; retail prices only through their rows on the
    listing's page, which call the service. Nothing else on a listing is edited here."""

    form = ListingRestockForm
    action_form = ListingActionForm
    list_display = [
        "id",
        "product",
        "supplier",
        "mode",
        "is_jit",
        "status",
        "supply_price",
        "sellable",
        "status_changed_at",
    ]
    list_filter = [
        "status",
        "mode",
        "is_jit",
        ("supplier", admin.RelatedOnlyFieldListFilter),
        ListingCategoryFilter,
        DeadStockFilter,
    ]
    search_fields = [
        "product__title_en",
        "product__title_zh",
        "product__hs_code",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    list_select_related = ["product__category", "supplier"]
    readonly_fields = [
        "supplier",
        "product",
        "mode",
        "is_jit",
        "created_at",
        "status",
        "status_reason",
        "status_changed_at",
        "paused_for_stock",
        "first_batch_accepted_at",
        "supply_price",
        "reference_price",
        "price_band",
        "agreed_elsewhere",
        "sellable",
        "compliance",
        "history",
        "dead_stock_since",
    ]
    fieldsets = [
        (None, {"fields": ["supplier", "product", "mode", "is_jit", "created_at"]}),
        (
            _("Status (change it with the actions on the list)"),
            {
                "fields": [
                    "status",
                    "status_reason",
                    "status_changed_at",
                    "paused_for_stock",
                    "first_batch_accepted_at",
                ]
            },
        ),
        (
            _("Price review: what to weigh"),
            {"fields": ["supply_price", "reference_price", "price_band", "agreed_elsewhere"]},
        ),
        (_("Selling"), {"fields": ["sellable"]}),
        (
            _("Restocking (fully managed)"),
            {"fields": ["case_pack", "production_lead_days", "dead_stock_since"]},
        ),
        (_("Compliance by market"), {"fields": ["compliance"]}),
        (_("History"), {"fields": ["history"]}),
    ]
    inlines = [ListingPriceInline, OverseasStockInline, PriceRoundInline]
    actions = [
        "start_review",
        "approve_compliance",
        "publish",
        "pause",
        "resume",
        "delist",
        "set_retail_price",
        export_csv,
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Listing]:
        return (
            super()
            .get_queryset(request)
            .select_related("product__category", "supplier")
            .prefetch_related("prices", "overseas_stock")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # suppliers create listings; tenders create the winners'

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ListingChangeList

    def has_approve_compliance_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("catalogue.approve_compliance")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- Columns and fields -------------------------------------------------------------------

    supply_price = money_display("supply_price_cny", _("supply price"))

    @admin.display(description=_("sellable in"))
    def sellable(self, listing: Listing) -> str:
        return ", ".join(sellable_markets_of(listing)) or EMPTY

    @admin.display(description=_("compliance by market"))
    def compliance(self, listing: Listing) -> str:
        """Whether it may be sold and shipped in each market now, with every reason (the
        sentences every door shows)."""
        answers = listing_answers(listing, Market.values).answers
        yes, no = _("yes"), _("no")
        return format_html(
            '<table data-testid="compliance"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
            "<th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("market"),
            _("may be sold"),
            _("may be shipped"),
            _("reasons"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        market,
                        yes if answer.may_sell else no,
                        yes if answer.may_ship else no,
                        format_html_join(
                            "", "<div>{}</div>", ((r.message,) for r in answer.reasons)
                        )
                        or EMPTY,
                    )
                    for market, answer in answers.items()
                ),
            ),
        )

    @admin.display(description=_("reference price"))
    def reference_price(self, listing: Listing) -> str:
        return money(listing.product.reference_price_cny)

    @admin.display(description=_("category's price band"))
    def price_band(self, listing: Listing) -> str:
        return _band(listing.product.category)

    @admin.display(description=_("the supplier's other agreed prices in this category"))
    def agreed_elsewhere(self, listing: Listing) -> str:
        others = supplier_agreed_prices([listing])
        return _agreed_elsewhere_html(
            listing, others.get((listing.supplier_id, listing.product.category_id), [])
        )

    @admin.display(description=_("latest events"))
    def history(self, listing: Listing) -> str:
        events = list(listing_history(listing))
        if not events:
            return EMPTY
        return format_html(
            "<table><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (
                        when(event.occurred_at),
                        event.kind,
                        " → ".join(str(event.payload.get(k, "")) for k in ("from", "to"))
                        if "to" in event.payload
                        else ", ".join(f"{k}: {v}" for k, v in sorted(event.payload.items())),
                        event.reason,
                        event.actor or _("the system"),
                    )
                    for event in events
                ),
            ),
        )

    # --- Saving: nothing but retail prices, through the service ---------------------------------

    def save_model(self, request: HttpRequest, obj: Listing, form: Any, change: bool) -> None:
        # Every other field of the listing is read-only here; writing the row back could undo a
        # state move made meanwhile by a service. The restock settings go through theirs.
        if not {"case_pack", "production_lead_days"} & set(form.changed_data):
            return None
        try:
            listing_restock_set(
                Listing.objects.get(pk=obj.pk),
                case_pack=form.cleaned_data["case_pack"],
                production_lead_days=form.cleaned_data["production_lead_days"],
                actor=admin_actor(request),
            )
        except DomainError as error:
            self.message_user(request, error.message, level=messages.ERROR)
        return None

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not ListingPrice:
            return  # the other inlines are read-only
        for price_form in formset.forms:
            if not price_form.has_changed() or not getattr(price_form, "cleaned_data", None):
                continue
            new = price_form.instance.pk is None
            market = price_form.cleaned_data["market"]
            try:
                price = retail_price_set(
                    form.instance,
                    market=market,
                    amount=price_form.cleaned_data["amount"],
                    actor=admin_actor(request),
                )
            except DomainError as error:
                self.message_user(request, f"{market}: {error.message}", level=messages.ERROR)
                continue
            if new:
                formset.new_objects.append(price)
            else:
                formset.changed_objects.append((price, ["amount"]))

    # --- Actions ------------------------------------------------------------------------------

    def _move(
        self, request: HttpRequest, queryset: QuerySet[Listing], target: str, done: Any, reason: str
    ) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda listing: listing_transition(listing, target, actor=actor, reason=reason),
            done,
        )

    @admin.action(description=_("Start price review (submitted listings)"), permissions=["change"])
    def start_review(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        self._move(
            request,
            queryset,
            S.PRICE_REVIEW,
            ngettext_lazy("%(n)d listing in price review.", "%(n)d listings in price review.", "n"),
            _post(request, "reason"),
        )

    @admin.action(
        description=_("Approve compliance (listings in compliance review)"),
        permissions=["approve_compliance"],
    )
    def approve_compliance(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        """Compliance officers only; refused (with the reasons) where the compliance answer
        holds in no market."""
        actor, reason = admin_actor(request), _post(request, "reason")
        apply_each(
            self,
            request,
            queryset,
            lambda listing: listing_compliance_approve(listing, actor=actor, reason=reason),
            ngettext_lazy("%(n)d listing approved.", "%(n)d listings approved.", "n"),
        )

    def _report_live(self, request: HttpRequest, done: list[Listing], verb: Any) -> None:
        """`verb` is an ngettext_lazy(singular, plural, "n"); the listings the stock rule paused
        at once are counted after it."""
        if not done:
            return
        paused = [listing for listing in done if listing.status == S.PAUSED]
        text = str(verb % {"n": len(done)})
        if paused:
            text += " " + ngettext(
                "%(n)d of them paused at once for want of stock; "
                "it resumes by itself when stock arrives.",
                "%(n)d of them paused at once for want of stock; "
                "they resume by themselves when stock arrives.",
                len(paused),
            ) % {"n": len(paused)}
        report_success(self, request, text)

    @admin.action(
        description=_("Publish (approved listings with a retail price)"), permissions=["change"]
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        actor = admin_actor(request)
        results = apply_each(
            self, request, queryset, lambda listing: listing_publish(listing, actor=actor)
        )
        self._report_live(
            request,
            results,
            ngettext_lazy("%(n)d listing published.", "%(n)d listings published.", "n"),
        )

    @admin.action(description=_("Pause (the reason is recorded)"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        self._move(
            request,
            queryset,
            S.PAUSED,
            ngettext_lazy("%(n)d listing paused.", "%(n)d listings paused.", "n"),
            _post(request, "reason") or str(_("Paused by an operator.")),
        )

    @admin.action(description=_("Resume paused listings"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        actor, reason = admin_actor(request), _post(request, "reason")
        results = apply_each(
            self,
            request,
            queryset,
            lambda listing: listing_resume(listing, actor=actor, reason=reason),
        )
        self._report_live(
            request,
            results,
            ngettext_lazy("%(n)d listing resumed.", "%(n)d listings resumed.", "n"),
        )

    @admin.action(description=_("Delist (reason required)"), permissions=["change"])
    def delist(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        self._move(
            request,
            queryset,
            S.DELISTED,
            ngettext_lazy("%(n)d listing delisted.", "%(n)d listings delisted.", "n"),
            _post(request, "reason"),
        )

    @admin.action(
        description=_("Set the retail price (market and price in the bar)"),
        permissions=["change"],
    )
    def set_retail_price(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        market, raw = _post(request, "market"), _post(request, "amount")
        try:
            amount = Decimal(raw)
        except InvalidOperation:
            amount = None
        if not market or amount is None:
            self.message_user(
                request,
                _("Choose a market and write the retail price (e.g. 19.99) in the action bar."),
                level=messages.ERROR,
            )
            return
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda listing: retail_price_set(listing, market=market, amount=amount, actor=actor),
            ngettext_lazy(
                "Retail price in %(market)s set on %(n)d listing.",
                "Retail price in %(market)s set on %(n)d listings.",
                "n",
            ),
            market=market,
        )
