"""A paginator for deep pages of large, joined lists: it pages the primary keys first (an index
scan that skips the rows before the page cheaply), then fetches only the page's rows with their
joins and annotations. With a plain OFFSET the database would join and annotate every skipped
row too."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class KeysFirstPaginator(Paginator):
    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset: QuerySet[Any] = self.object_list  # type: ignore[assignment]
        keys = list(queryset.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in queryset.filter(pk__in=keys)}
        return Page([rows[key] for key in keys if key in rows], number, self)
