"""The late-parcels filter (shipping.selectors.late): "late" is the operators' queue, flagged
past the delivery target and still not delivered nor returned; "flagged" every parcel ever
flagged. For any admin list of parcels (`list_filter = [LateFilter, ...]`); the dashboard's
queue links to `?late=yes`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import Parcel
from ..selectors.late import LATE


class LateFilter(admin.SimpleListFilter):
    title = _("delivery target")
    parameter_name = "late"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("yes", _("Late (not delivered)")),
            ("flagged", _("Flagged late, ever")),
            ("no", _("Not late")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Parcel]) -> QuerySet[Parcel]:
        value = self.value()
        if value == "yes":
            return queryset.filter(LATE)
        if value == "flagged":
            return queryset.filter(late_flagged_at__isnull=False)
        if value == "no":
            return queryset.exclude(LATE)
        return queryset
