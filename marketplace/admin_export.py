"""Export any admin list to CSV: add `export_csv` to a ModelAdmin's `actions`, filter the list,
tick "select all" and run the action.

The columns are the list's columns (`list_display`), with the list's headers; model fields show
their labels (choices) and related objects their names, display methods their text without
HTML. The file is UTF-8 with a byte-order mark (so Excel reads Chinese correctly) and is
streamed in chunks, so a list of a million rows neither waits nor fills memory.

A ModelAdmin whose display methods read data fetched for a whole page at once defines
`prepare_rows(rows)`; the export calls it for each chunk, as its changelist does for each page.
A ModelAdmin whose list is trimmed to fit the screen names the export's columns in
`export_display`. Money columns (marketplace.formatting.money_display) export the plain number,
their header naming the currency: a spreadsheet sums them.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Model, QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

CHUNK_SIZE = 1000
BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel and LibreOffice (CSV injection): text
# from suppliers (names, titles, notes) is prefixed with a quote so it stays text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object for csv.writer that hands back each line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def export_columns(model_admin: admin.ModelAdmin, request: HttpRequest) -> list[Any]:
    """The list's columns (or the admin's `export_display`): field names, display method names
    or callables."""
    columns = getattr(model_admin, "export_display", None) or model_admin.get_list_display(request)
    return [name for name in columns if name != "action_checkbox"]


def _display(model_admin: admin.ModelAdmin, name: Any) -> Any:
    return getattr(model_admin, name, None) if isinstance(name, str) else name


def _text(value: Any) -> str:
    if isinstance(value, SafeString):
        value = html.unescape(strip_tags(value))
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def export_cell(model_admin: admin.ModelAdmin, name: Any, row: Model) -> str:
    raw = getattr(_display(model_admin, name), "money_value", None)
    if raw is not None:
        amount = raw(row)
        return "" if amount is None else str(amount)
    try:
        field, attr, value = lookup_field(name, row, model_admin)
    except ObjectDoesNotExist:
        return ""
    if field is not None and getattr(field, "flatchoices", None):
        value = dict(field.flatchoices).get(value, value)
    if value is None:
        return ""
    if isinstance(value, bool) or getattr(attr, "boolean", False):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    return _text(value)


def _header(model_admin: admin.ModelAdmin, name: Any) -> str:
    label = getattr(_display(model_admin, name), "export_description", None) or label_for_field(
        name, model_admin.model, model_admin
    )
    return html.unescape(strip_tags(str(label)))


def _lines(
    model_admin: admin.ModelAdmin, columns: list[Any], queryset: QuerySet[Any]
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([_header(model_admin, name) for name in columns])
    prepare = getattr(model_admin, "prepare_rows", None)
    batch: list[Model] = []

    def write(rows: list[Model]) -> str:
        if prepare is not None:
            prepare(rows)
        return "".join(
            writer.writerow([export_cell(model_admin, name, row) for name in columns])
            for row in rows
        )

    # chunk_size keeps prefetch_related working while the rows stream.
    for row in queryset.iterator(chunk_size=CHUNK_SIZE):
        batch.append(row)
        if len(batch) == CHUNK_SIZE:
            yield write(batch)
            batch = []
    if batch:
        yield write(batch)


@admin.action(description=_("Export selected to CSV"), permissions=["view"])
def export_csv(
    model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]
) -> StreamingHttpResponse:
    """The selected rows (all of a filtered list with "select all") in the list's columns."""
    columns = export_columns(model_admin, request)
    opts = model_admin.model._meta
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        _lines(model_admin, columns, queryset), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{opts.app_label}-{opts.model_name}-{stamp}.csv"'
    )
    return response
