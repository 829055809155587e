"""Cursor pagination for the lists that grow without bound.

DRF's cursor pagination trusts its cursor once it decodes: a crafted one reaches the database as
a position of the wrong type or out of range (a 500), and a cursor that does not decode is an
undocumented 404. Here a cursor is checked against the ordering field before any query runs, and
every bad cursor or page size is a 400 naming the parameter.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from marketplace.errors import DomainError, ErrorKind

MAX_PAGE_SIZE = 500
# A bigint column's range: a position outside it cannot be a row's.
_BIGINT = 2**63 - 1


def _invalid_cursor() -> DomainError:
    message = str(_("The cursor is not one this API gave out; follow `next` or `previous`."))
    return DomainError(
        "invalid_cursor", message, fields={"cursor": [message]}, kind=ErrorKind.MALFORMED
    )


def _invalid_page_size(maximum: int) -> DomainError:
    message = str(_("A whole number from 1 to %(max)d.") % {"max": maximum})
    return DomainError(
        "invalid",
        f"page_size: {message}",
        fields={"page_size": [message]},
        kind=ErrorKind.MALFORMED,
    )


class CreatedCursorPagination(CursorPagination):
    """Stable pages over lists that grow without bound: newest first, by creation then id."""

    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.getlist(self.page_size_query_param)
        if not raw:
            return self.page_size
        # One value only: `?page_size=10&page_size=x` is as wrong as `?page_size=x`.
        if len(raw) > 1 or not raw[0].isascii() or not raw[0].isdigit():
            raise _invalid_page_size(self.max_page_size)
        size = int(raw[0])
        if not 1 <= size <= self.max_page_size:
            raise _invalid_page_size(self.max_page_size)
        return size

    def paginate_queryset(
        self, queryset: models.QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        if len(request.query_params.getlist(self.cursor_query_param)) > 1:
            raise _invalid_cursor()
        try:
            cursor = super().decode_cursor(request)
        except (NotFound, UnicodeError):
            raise _invalid_cursor() from None
        if cursor is None or cursor.position is None:
            return cursor
        return cursor._replace(position=self._checked_position(cursor.position))

    def _checked_position(self, position: Any) -> Any:
        """The cursor's position as a value of the ordering field, or a 400."""
        attribute = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(attribute)
        except FieldDoesNotExist:  # an annotation: DRF's own handling applies
            return position
        if not isinstance(position, str) or "\x00" in position:
            raise _invalid_cursor()
        try:
            value = field.to_python(position)
        except (ValidationError, ValueError, TypeError, OverflowError):
            raise _invalid_cursor() from None
        if value is None:
            raise _invalid_cursor()
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                raise _invalid_cursor()
            try:
                # PostgreSQL takes offsets up to 15:59 only; UTC is what it stores anyway.
                return value.astimezone(datetime.UTC)
            except OverflowError:
                raise _invalid_cursor() from None
        if isinstance(value, int) and not -_BIGINT <= value <= _BIGINT:
            raise _invalid_cursor()
        return value

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                }
                parameter["description"] = (
                    f"Rows per page, 1 to {self.max_page_size} (default {self.page_size})."
                )
            elif parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "The `next` or `previous` link's cursor; any other value is a 400 "
                    "`invalid_cursor`."
                )
        return parameters
