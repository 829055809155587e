"""Operator screens for the catalogue. Every state change is an action (or the tender form, or a
listing's retail-price rows) that calls a service in catalogue.services; the services refuse
illegal moves and the refusal is shown as a message or a form error, never a 500.

Bids are sealed: before a tender closes its page shows who bid and when, never the amounts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.models import User
from marketplace.admin import ReadOnlyInline, admin_actor, report_success
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.formatting import money, money_display, when

from .models import (
    Bid,
    Category,
    Listing,
    ListingPrice,
    Market,
    OverseasStock,
    PriceRound,
    Product,
    ProductImage,
    Tender,
    risks_with_aql,
)
from .selectors import (
    category_path,
    category_subtree,
    category_tree,
    listing_history,
    sellable_markets_of,
    supplier_agreed_prices,
)
from .services.listings import (
    available_stock,
    listing_publish,
    listing_stock_changed,
    listing_transition,
    retail_price_set,
)
from .services.prices import price_accept, price_counter, price_reject
from .services.products import EDITABLE, product_fields_clean
from .services.tenders import tender_close, tender_open

S = Listing.Status
EMPTY = "-"


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "").strip()


def _apply_each(
    model_admin: admin.ModelAdmin, request: HttpRequest, rows: Any, act: Callable[[Any], object]
) -> list[Any]:
    """Call the service on each row; a refusal is reported for that row and the others go on.
    Returns what the service returned for each row it accepted."""
    done = []
    for row in rows:
        try:
            result = act(row)
        except DomainError as error:
            model_admin.message_user(request, f"{row}: {error.message}", level=messages.ERROR)
        else:
            done.append(result)
    return done


def _report(
    model_admin: admin.ModelAdmin, request: HttpRequest, done: list[Any], message: Any
) -> None:
    """`message` is an ngettext_lazy(singular, plural, "n")."""
    if done:
        report_success(model_admin, request, message % {"n": len(done)})


class PreparedChangeList(ChangeList):
    """A changelist whose ModelAdmin fills in data for the whole page in one query
    (`prepare_rows`), so a column never costs a query per row. The CSV export calls the same
    hook for each chunk."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        prepare = getattr(self.model_admin, "prepare_rows", None)
        if prepare is not None:
            prepare(list(self.result_list))  # evaluates (and caches) the page's queryset


class PreparedRowsAdmin(admin.ModelAdmin):
    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PreparedChangeList


class CategoryTreeFilter(admin.SimpleListFilter):
    """A category and everything below it, the choices shown as indented paths."""

    title = _("category")
    parameter_name = "category"
    field = "category_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        tree = category_tree()
        paths = {pk: category_path(tree, pk) for pk in tree}
        ordered = sorted(tree, key=lambda pk: [tree[i][2] for i in paths[pk]])
        return [(str(pk), "\u2003" * (len(paths[pk]) - 1) + tree[pk][2]) for pk in ordered]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if not str(value).isdigit():
            raise IncorrectLookupParameters(value)
        return queryset.filter(**{f"{self.field}__in": category_subtree(int(value))})


# --- Categories -------------------------------------------------------------------------------


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = [
            "code",
            "name_en",
            "name_zh",
            "parent",
            "risk_level",
            "aql_override",
            "price_band_min",
            "price_band_max",
        ]

    def clean_parent(self) -> Category | None:
        parent: Category | None = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk is not None:  # noqa: SIM102
            if self.instance.pk in category_path(category_tree(), parent.pk):
                raise forms.ValidationError(
                    _("A category cannot sit under itself or one of its subcategories.")
                )
        return parent


class PriceBandFilter(admin.SimpleListFilter):
    title = _("price band")
    parameter_name = "band"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("set", _("Set")), ("missing", _("Missing"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "set":
            return queryset.exclude(price_band_min__isnull=True, price_band_max__isnull=True)
        if self.value() == "missing":
            return queryset.filter(price_band_min__isnull=True, price_band_max__isnull=True)
        return queryset


class EffectiveAqlFilter(admin.SimpleListFilter):
    """The AQL inspection uses: the category's override, else its risk level's."""

    title = _("AQL")
    parameter_name = "aql"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [(aql, label) for aql, label in Category.Aql.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        if value not in Category.Aql.values:
            raise IncorrectLookupParameters(value)
        return queryset.filter(
            Q(aql_override=value) | Q(aql_override="", risk_level__in=risks_with_aql(value))
        )


def _band(category: Category) -> str:
    low, high = category.price_band_min, category.price_band_max
    if low is None and high is None:
        return EMPTY
    return str(_("%(low)s to %(high)s")) % {
        "low": "…" if low is None else money(low),
        "high": "…" if high is None else money(high),
    }


@admin.register(Category)
class CategoryAdmin(PreparedRowsAdmin):
    form = CategoryForm
    list_display = [
        "tree_path",
        "code",
        "risk_level",
        "aql",
        "price_band",
        "product_count",
    ]
    list_filter = ["risk_level", EffectiveAqlFilter, PriceBandFilter]
    readonly_fields = ["aql"]
    search_fields = ["code", "name_en", "name_zh"]
    list_select_related = ["parent"]
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(product_count=Count("products"))

    def prepare_rows(self, rows: list[Category]) -> None:
        tree = category_tree()
        for row in rows:
            row.path_names = [tree[pk][2] for pk in category_path(tree, row.pk)]  # type: ignore[attr-defined]

    @admin.display(description=_("category"), ordering="code")
    def tree_path(self, category: Category) -> SafeString:
        names = getattr(category, "path_names", None) or [category.name_en]
        return format_html(
            '<span style="padding-left: {}em">{}</span>',
            2 * (len(names) - 1),
            " / ".join(names),
        )

    @admin.display(description=_("price band"))
    def price_band(self, category: Category) -> str:
        return _band(category)

    @admin.display(description=_("AQL"))
    def aql(self, category: Category) -> str:
        if category.pk is None:
            return EMPTY
        if category.aql_override:
            return str(_("%(aql)s (override)") % {"aql": category.effective_aql})
        return str(_("%(aql)s (from the risk level)") % {"aql": category.effective_aql})

    @admin.display(description=_("products"), ordering="product_count")
    def product_count(self, category: Category) -> int:
        return getattr(category, "product_count", 0)


# --- Products ---------------------------------------------------------------------------------


class ProductForm(forms.ModelForm):
    """The product rules are the portal's and the import's (`product_fields_clean`)."""

    class Meta:
        model = Product
        fields = [*EDITABLE, "reference_price_cny"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        given = {name: cleaned[name] for name in EDITABLE if name in cleaned}
        try:
            cleaned.update(product_fields_clean(given, partial=True))
        except DomainError as error:
            for name, errors in error.fields.items():
                self.add_error(name if name in self.fields else None, list(errors))
        return cleaned


class ProductImageInline(ReadOnlyInline):
    model = ProductImage
    readonly_fields = ("preview", "image", "position")
    fields = readonly_fields

    @admin.display(description=_("thumbnail"))
    def preview(self, image: ProductImage) -> str:
        if not image.thumbnail:
            return EMPTY
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height: 120px"></a>',
            image.image.url,
            image.thumbnail.url,
        )


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """A supplier describes its own products (portal, import); here operators set the platform's
    reference price on them, and write the specifications tenders ask for (no owner)."""

    form = ProductForm
    list_display = [
        "title_en",
        "title_zh",
        "category",
        "hs_code",
        "owner",
        "reference_price",
        "thumbnail",
        "created_at",
    ]
    list_filter = [CategoryTreeFilter, ("owner", admin.EmptyFieldListFilter)]
    search_fields = ["title_en", "title_zh", "hs_code"]
    list_select_related = ["category", "owner"]
    raw_id_fields = ["category"]
    inlines = [ProductImageInline]
    actions = [export_csv]

    reference_price = money_display("reference_price_cny", _("reference price"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        return super().get_queryset(request).prefetch_related("images")

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> Any:
        if obj is not None and obj.owner_id is not None:
            return [*EDITABLE, "owner", "created_at"]
        return ["owner", "created_at"]

    @admin.display(description=_("picture"))
    def thumbnail(self, product: Product) -> str:
        first = next(iter(product.images.all()), None)
        if first is None or not first.thumbnail:
            return EMPTY
        return format_html('<img src="{}" alt="" style="max-height: 40px">', first.thumbnail.url)


# --- Listings ---------------------------------------------------------------------------------


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


# How many of a supplier's other agreed prices a listing or round shows.
AGREED_SHOWN = 10


def _agreed_elsewhere_html(listing: Listing, others: list[Listing]) -> str:
    rows = [other for other in others if other.pk != listing.pk]
    if not rows:
        return str(_("None yet in this category."))
    more = len(rows) - AGREED_SHOWN
    rows = rows[:AGREED_SHOWN]
    return format_html(
        "<ul>{}{}</ul>",
        format_html_join(
            "",
            '<li><a href="{}">{}</a>: {} ({})</li>',
            (
                (
                    reverse("admin:catalogue_listing_change", args=[other.pk]),
                    other.product.title_en,
                    money(other.supply_price_cny),
                    other.get_status_display(),
                )
                for other in rows
            ),
        ),
        format_html("<li>{}</li>", _("and %(n)d more") % {"n": more}) if more > 0 else "",
    )


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    """Listings move only through the actions; retail prices only through their rows on the
    listing's page, which call the service. Nothing else on a listing is edited here."""

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
        "history",
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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # --- Columns and fields -------------------------------------------------------------------

    supply_price = money_display("supply_price_cny", _("supply price"))

    @admin.display(description=_("sellable in"))
    def sellable(self, listing: Listing) -> str:
        return ", ".join(sellable_markets_of(listing)) or EMPTY

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
        # Every field of the listing is read-only here; writing the row back could undo a state
        # move made meanwhile by a service.
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
        self, request: HttpRequest, queryset: QuerySet[Listing], target: str, **kwargs: Any
    ) -> list[Listing]:
        actor = admin_actor(request)
        return _apply_each(
            self,
            request,
            queryset,
            lambda listing: listing_transition(listing, target, actor=actor, **kwargs),
        )

    @admin.action(description=_("Start price review (submitted listings)"), permissions=["change"])
    def start_review(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        done = self._move(request, queryset, S.PRICE_REVIEW, reason=_post(request, "reason"))
        _report(
            self,
            request,
            done,
            ngettext_lazy("%(n)d listing in price review.", "%(n)d listings in price review.", "n"),
        )

    @admin.action(
        description=_("Approve compliance (listings in compliance review)"),
        permissions=["change"],
    )
    def approve_compliance(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        done = self._move(request, queryset, S.APPROVED, reason=_post(request, "reason"))
        _report(
            self,
            request,
            done,
            ngettext_lazy("%(n)d listing approved.", "%(n)d listings approved.", "n"),
        )

    def _report_live(self, request: HttpRequest, done: list[Listing], verb: str) -> None:
        if not done:
            return
        paused = [listing for listing in done if listing.status == S.PAUSED]
        n = len(done)
        text = str(verb) % {"n": n}
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
        results = _apply_each(
            self, request, queryset, lambda listing: listing_publish(listing, actor=actor)
        )
        n = len(results)
        self._report_live(
            request,
            results,
            ngettext("%(n)d listing published.", "%(n)d listings published.", n),
        )

    @admin.action(description=_("Pause (the reason is recorded)"), permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        reason = _post(request, "reason") or str(_("Paused by an operator."))
        done = self._move(request, queryset, S.PAUSED, reason=reason)
        _report(
            self,
            request,
            done,
            ngettext_lazy("%(n)d listing paused.", "%(n)d listings paused.", "n"),
        )

    @admin.action(description=_("Resume paused listings"), permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        actor = admin_actor(request)
        reason = _post(request, "reason") or str(_("Resumed by an operator."))

        def resume_one(listing: Listing) -> Listing:
            if listing.status != S.PAUSED:
                raise DomainError(
                    "not_paused",
                    str(_("Only a paused listing resumes; this one is %(status)s."))
                    % {"status": listing.get_status_display()},
                )
            live = listing_transition(listing, S.LIVE, actor=actor, reason=reason)
            # Back on sale only with stock to sell (unless JIT): the stock rule decides.
            return listing_stock_changed(live, available_stock(live), actor=actor)

        results = _apply_each(self, request, queryset, resume_one)
        n = len(results)
        self._report_live(
            request, results, ngettext("%(n)d listing resumed.", "%(n)d listings resumed.", n)
        )

    @admin.action(description=_("Delist (reason required)"), permissions=["change"])
    def delist(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        done = self._move(request, queryset, S.DELISTED, reason=_post(request, "reason"))
        _report(
            self,
            request,
            done,
            ngettext_lazy("%(n)d listing delisted.", "%(n)d listings delisted.", "n"),
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
        done = _apply_each(
            self,
            request,
            queryset,
            lambda listing: retail_price_set(listing, market=market, amount=amount, actor=actor),
        )
        if done:
            n = len(done)
            text = ngettext(
                "Retail price in %(market)s set on %(n)d listing.",
                "Retail price in %(market)s set on %(n)d listings.",
                n,
            )
            report_success(self, request, text % {"n": n, "market": market})


# --- Price rounds -----------------------------------------------------------------------------


class PriceRoundActionForm(ActionForm):
    counter_price = forms.CharField(
        label=_("Counter price (CNY):"),
        required=False,
        widget=forms.TextInput(attrs={"size": 10}),
    )
    note = forms.CharField(
        label=_("Note to the supplier:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 40, "placeholder": _("required to reject")}),
    )


@admin.register(PriceRound)
class PriceRoundAdmin(PreparedRowsAdmin):
    """Rounds waiting for an operator are the proposed ones (filter by status). Each row shows
    what to weigh: the product's reference price, the category's band and the supplier's other
    agreed prices in the category. Answer with the actions."""

    action_form = PriceRoundActionForm
    list_display = [
        "listing",
        "number",
        "status",
        "proposed",
        "countered",
        "reference_price",
        "price_band",
        "agreed_elsewhere",
        "supplier_note",
        "operator_note",
        "opened_at",
    ]
    list_filter = ["status"]
    search_fields = [
        "listing__product__title_en",
        "listing__product__title_zh",
        "listing__supplier__name_en",
        "listing__supplier__name_zh",
    ]
    list_select_related = ["listing__product__category", "listing__supplier"]
    ordering = ["-opened_at", "-id"]
    readonly_fields = (
        "listing_link",
        "number",
        "status",
        "proposed",
        "countered",
        "supplier_note",
        "operator_note",
        "proposed_by",
        "reviewed_by",
        "opened_at",
        "closed_at",
        "reference_price",
        "price_band",
        "agreed_elsewhere",
    )
    fields = readonly_fields
    actions = ["accept", "counter", "reject", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PriceRound]:
        return (
            super()
            .get_queryset(request)
            .select_related(
                "listing__product__category", "listing__supplier", "proposed_by", "reviewed_by"
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # suppliers propose

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the actions; a round is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def prepare_rows(self, rows: list[PriceRound]) -> None:
        agreed = supplier_agreed_prices(row.listing for row in rows)
        for row in rows:
            key = (row.listing.supplier_id, row.listing.product.category_id)
            row.agreed_others = agreed.get(key, [])  # type: ignore[attr-defined]

    proposed = money_display("proposed_price", _("proposed price"))
    countered = money_display("counter_price", _("counter price"))

    @admin.display(description=_("listing"))
    def listing_link(self, round_: PriceRound) -> str:
        url = reverse("admin:catalogue_listing_change", args=[round_.listing_id])
        return format_html('<a href="{}">{}</a>', url, round_.listing)

    @admin.display(description=_("reference price"))
    def reference_price(self, round_: PriceRound) -> str:
        return money(round_.listing.product.reference_price_cny)

    @admin.display(description=_("category's price band"))
    def price_band(self, round_: PriceRound) -> str:
        return _band(round_.listing.product.category)

    @admin.display(description=_("supplier's other agreed prices in the category"))
    def agreed_elsewhere(self, round_: PriceRound) -> str:
        if not hasattr(round_, "agreed_others"):
            self.prepare_rows([round_])
        return _agreed_elsewhere_html(round_.listing, round_.agreed_others)  # type: ignore[attr-defined]

    def _answer(
        self,
        request: HttpRequest,
        queryset: QuerySet[PriceRound],
        answer: Callable[[Listing], object],
        message: Any,
    ) -> None:
        def one(round_: PriceRound) -> object:
            # The services answer the listing's open round: make sure it is the one selected.
            if not round_.is_open:
                raise DomainError(
                    "round_closed",
                    str(_("This round is %(status)s; only an open round is answered."))
                    % {"status": round_.get_status_display()},
                )
            return answer(round_.listing)

        _report(self, request, _apply_each(self, request, queryset, one), message)

    @admin.action(description=_("Accept the proposed price"), permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[PriceRound]) -> None:
        actor, note = admin_actor(request), _post(request, "note")
        self._answer(
            request,
            queryset,
            lambda listing: price_accept(listing, actor=actor, note=note),
            ngettext_lazy("%(n)d price accepted.", "%(n)d prices accepted.", "n"),
        )

    @admin.action(
        description=_("Counter (counter price and note in the bar)"), permissions=["change"]
    )
    def counter(self, request: HttpRequest, queryset: QuerySet[PriceRound]) -> None:
        actor, note, price = (
            admin_actor(request),
            _post(request, "note"),
            _post(request, "counter_price"),
        )
        self._answer(
            request,
            queryset,
            lambda listing: price_counter(listing, price=price, actor=actor, note=note),
            ngettext_lazy("%(n)d counter-offer sent.", "%(n)d counter-offers sent.", "n"),
        )

    @admin.action(description=_("Reject (note required)"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[PriceRound]) -> None:
        actor, note = admin_actor(request), _post(request, "note")
        self._answer(
            request,
            queryset,
            lambda listing: price_reject(listing, actor=actor, note=note),
            ngettext_lazy("%(n)d price rejected.", "%(n)d prices rejected.", "n"),
        )


# --- Tenders ----------------------------------------------------------------------------------


class TenderOpenForm(forms.ModelForm):
    """An operator opens a tender. The service checks and opens it while the form is cleaned
    (inside the admin's transaction), so a refusal is an error on the field it names."""

    actor: User | None = None  # set by TenderAdmin.get_form
    tender: Tender | None = None

    class Meta:
        model = Tender
        fields = [
            "product",
            "quantity",
            "closes_at",
            "min_score",
            "max_return_rate",
            "required_test",
            "quality_adjusted",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        assert self.actor is not None
        try:
            self.tender = tender_open(
                cleaned["product"],
                quantity=cleaned["quantity"],
                closes_at=cleaned["closes_at"],
                actor=self.actor,
                min_score=cleaned.get("min_score"),
                max_return_rate=cleaned.get("max_return_rate"),
                required_test=cleaned.get("required_test") or "",
                quality_adjusted=bool(cleaned.get("quality_adjusted")),
            )
        except DomainError as error:
            for name, errors in error.fields.items():
                self.add_error(name if name in self.fields else None, list(errors))
            self.add_error(None, error.message)
        return cleaned

    def _post_clean(self) -> None:
        # The service made the tender; the model's own checks have nothing left to add.
        if self.tender is not None:
            self.instance = self.tender


class BidInline(ReadOnlyInline):
    """Who bid and when; the amounts only once the tender has closed (sealed bids)."""

    model = Bid
    readonly_fields = ("supplier", "placed_at", "updated_at", "price", "lead_time", "units")
    fields = readonly_fields
    ordering = ["placed_at", "id"]
    verbose_name_plural = _("bids (amounts sealed until the tender closes)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bid]:
        return super().get_queryset(request).select_related("supplier", "tender")

    @staticmethod
    def _unsealed(bid: Bid, value: object) -> Any:
        return _("sealed") if bid.tender.status == Tender.Status.OPEN else value

    @admin.display(description=_("unit price"))
    def price(self, bid: Bid) -> Any:
        return self._unsealed(bid, money(bid.unit_price))

    @admin.display(description=_("lead time (days)"))
    def lead_time(self, bid: Bid) -> Any:
        return self._unsealed(bid, bid.lead_time_days)

    @admin.display(description=_("capacity (units)"))
    def units(self, bid: Bid) -> Any:
        return self._unsealed(bid, bid.capacity)


class ClosingFilter(admin.SimpleListFilter):
    title = _("closing")
    parameter_name = "closing"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("due", _("Due (past closing, still open)")),
            ("24h", _("Open, closing within 24 h")),
            ("later", _("Open, closing later")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Tender]) -> QuerySet[Tender]:
        now, value = timezone.now(), self.value()
        open_ = queryset.filter(status=Tender.Status.OPEN)
        if value == "due":
            return open_.filter(closes_at__lte=now)
        if value == "24h":
            return open_.filter(closes_at__gt=now, closes_at__lte=now + timedelta(hours=24))
        if value == "later":
            return open_.filter(closes_at__gt=now + timedelta(hours=24))
        return queryset


def _local(iso: str | None) -> str:
    if not iso:
        return EMPTY
    return when(datetime.fromisoformat(iso))


def award_html(tender: Tender) -> str:
    """The award explanation (services.tenders._explain) as a table: every bid, whether it
    qualified or why not, the factor and effective price when quality-adjusted, the winner and
    why."""
    explanation = tender.award_explanation or {}
    if tender.status == Tender.Status.OPEN or not explanation:
        return str(_("Shown when the tender closes."))
    adjusted = explanation.get("rule") == "quality_adjusted"
    winner = explanation.get("winner")
    head = [_("supplier"), _("unit price"), _("capacity"), _("lead time (days)")]
    head += [_("placed"), _("scorecard")]
    if adjusted:
        head += [_("quality factor"), _("price / factor")]
    head += [_("qualified")]

    def row(bid: dict[str, Any]) -> SafeString:
        cells: list[Any] = [
            bid.get("supplier_name"),
            money(bid.get("unit_price")),
            bid.get("capacity"),
            bid.get("lead_time_days"),
            _local(bid.get("placed_at")),
            bid.get("score") or _("none"),
        ]
        if adjusted:
            # The ranking figure, to the four decimals it was compared at: not an amount paid.
            cells += [bid.get("factor"), bid.get("effective_price")]
        cells.append(
            _("yes") if bid.get("qualified") else _("no: %s") % "; ".join(bid.get("reasons", []))
        )
        won = bid.get("bid") == winner
        return format_html(
            "<tr{}>{}</tr>",
            format_html(' style="font-weight: bold" data-winner="{}"', bid.get("bid"))
            if won
            else "",
            format_html_join("", "<td>{}</td>", ((cell,) for cell in cells)),
        )

    rule = (
        _("Quality-adjusted: lowest price / quality factor, factor = %(formula)s.")
        % {"formula": explanation.get("factor")}
        if adjusted
        else _(
            "Lowest unit price among qualified bids; ties to the better scorecard, "
            "then the earlier bid."
        )
    )
    return format_html(
        '<p>{}</p><table class="award"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>'
        '<p data-testid="award-why"><b>{}</b> {}</p>',
        rule,
        format_html_join("", "<th>{}</th>", ((h,) for h in head)),
        format_html_join("", "{}", ((row(bid),) for bid in explanation.get("bids", []))),
        _("Winner:") if winner else _("No award:"),
        explanation.get("why", ""),
    )


@admin.register(Tender)
class TenderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "product",
        "quantity",
        "status",
        "closes_at",
        "quality_adjusted",
        "bid_count",
        "winner",
        "opened_by",
    ]
    list_filter = [ClosingFilter, "status", "quality_adjusted"]
    search_fields = ["product__title_en", "product__title_zh", "required_test"]
    list_select_related = ["product", "winning_bid__supplier", "opened_by"]
    autocomplete_fields = ["product"]
    form = TenderOpenForm
    view_fields = [
        "product",
        "quantity",
        "closes_at",
        "min_score",
        "max_return_rate",
        "required_test",
        "quality_adjusted",
        "status",
        "opened_by",
        "opened_at",
        "closed_at",
        "winner",
        "award",
    ]
    actions = ["close_now", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tender]:
        return (
            super()
            .get_queryset(request)
            .select_related("product", "winning_bid__supplier", "opened_by")
            .annotate(bid_count=Count("bids"))
        )

    def get_fields(self, request: HttpRequest, obj: Tender | None = None) -> Any:
        return TenderOpenForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Tender | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: Tender | None) -> Any:
        return [] if obj is None else [BidInline]

    def get_form(
        self, request: HttpRequest, obj: Tender | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": admin_actor(request)})

    def save_model(self, request: HttpRequest, obj: Tender, form: Any, change: bool) -> None:
        # Opened by the service while the form was cleaned (TenderOpenForm.clean).
        assert obj.pk is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for closing; a tender is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("bids"), ordering="bid_count")
    def bid_count(self, tender: Tender) -> int:
        return getattr(tender, "bid_count", 0)

    @admin.display(description=_("winner"))
    def winner(self, tender: Tender) -> str:
        bid = tender.winning_bid
        if bid is None:
            return EMPTY
        return f"{bid.supplier.name_en} ({money(bid.unit_price)})"

    @admin.display(description=_("award"))
    def award(self, tender: Tender) -> str:
        return award_html(tender)

    @admin.action(description=_("Close now (due tenders)"), permissions=["change"])
    def close_now(self, request: HttpRequest, queryset: QuerySet[Tender]) -> None:
        actor = admin_actor(request)

        def close(tender: Tender) -> Tender:
            if tender.status != Tender.Status.OPEN:
                raise DomainError("tender_closed", str(_("Already closed.")))
            if tender.closes_at > timezone.now():
                # Suppliers may still bid or lower until the time they were given.
                raise DomainError(
                    "not_due",
                    str(_("Not due until %(at)s.")) % {"at": when(tender.closes_at)},
                )
            return tender_close(tender, actor=actor)

        done = _apply_each(self, request, queryset, close)
        if done:
            n = len(done)
            awarded = sum(1 for t in done if t.status == Tender.Status.AWARDED)
            report_success(
                self,
                request,
                ngettext(
                    "%(n)d tender closed (%(awarded)d awarded).",
                    "%(n)d tenders closed (%(awarded)d awarded).",
                    n,
                )
                % {"n": n, "awarded": awarded},
            )
