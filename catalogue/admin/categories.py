"""Categories: a tree, with risk levels, AQL and price bands."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from marketplace.admin_export import export_csv

from ..models import Category, risks_with_aql
from ..selectors import category_path, category_tree
from .common import EMPTY, PreparedRowsAdmin, _band


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
