"""Helpers shared by the catalogue admin screens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from marketplace.formatting import money

from ..models import Category, Listing
from ..selectors import category_path, category_subtree, category_tree

EMPTY = "-"


def _post(request: HttpRequest, name: str) -> str:
    return request.POST.get(name, "").strip()


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


def _band(category: Category) -> str:
    low, high = category.price_band_min, category.price_band_max
    if low is None and high is None:
        return EMPTY
    return str(_("%(low)s to %(high)s")) % {
        "low": "…" if low is None else money(low),
        "high": "…" if high is None else money(high),
    }


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
