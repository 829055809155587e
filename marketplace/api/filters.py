"""Query filters every list uses for ids and times, checked before they reach the database.

- `IdFilter`: a whole number within a bigint. django-filter's NumberFilter takes any decimal, so
  `1.5` or `1e999999999` (a number too large to turn into an integer in reasonable time) would
  reach the query.
- `DateTimeFilter`: ISO 8601 with a UTC offset PostgreSQL accepts (up to 15:59 either way), used
  in UTC; a naive time is read in the server's time zone.
"""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

BIGINT_MAX = 2**63 - 1
# PostgreSQL's limit for a time zone displacement.
MAX_UTC_OFFSET = datetime.timedelta(hours=15, minutes=59)


class IdField(forms.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class UtcIsoDateTimeField(IsoDateTimeField):
    default_error_messages = {
        "offset": _("Give a UTC offset between -15:59 and +15:59."),
        "range": _("Out of range."),
    }

    def to_python(self, value: Any) -> datetime.datetime | None:
        result: datetime.datetime | None = super().to_python(value)
        if result is None:
            return None
        offset = result.utcoffset()
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(self.error_messages["offset"], code="offset")
        try:
            return result.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(self.error_messages["range"], code="range") from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
