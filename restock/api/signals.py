"""Demand signals through the API (SPEC, "Demand-driven restock").

The storefront posts what it saw of each listing in each market on each day (scope
`signals:write`), up to DEMAND_SIGNALS_MAX rows a request; restock.services.signals checks and
applies them (a batch with a row out of shape is refused whole, rows naming no listing are
reported back and the rest applied, a repeat replaces). Reading: a supplier user its own
listings' signals; integrators with `read` or `signals:write`, and staff, all of them.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.permissions import HasScope, request_scopes
from accounts.models import Scope, User
from marketplace.api.filters import IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses
from marketplace.errors import DomainError, ErrorKind
from marketplace.markets import Market

from ..models import DemandSignal
from ..selectors.signals import signals_visible_to
from ..services.signals import COUNT_MAX, signals_ingest


class DemandSignalInput(serializers.Serializer):
    """The shape of one row, for the schema: restock.services.signals checks the rows itself
    (a serializer a row is slower than the write of a whole batch)."""

    listing = serializers.IntegerField(min_value=1, help_text="The listing's id.")
    market = serializers.ChoiceField(choices=Market.choices, help_text="The market's code.")
    day = serializers.DateField(
        help_text="The day (China's date, YYYY-MM-DD); China's today at the latest."
    )
    views = serializers.IntegerField(min_value=0, max_value=COUNT_MAX, help_text="Page views.")
    add_to_carts = serializers.IntegerField(
        min_value=0, max_value=COUNT_MAX, help_text="Times added to a cart."
    )
    units_ordered = serializers.IntegerField(
        min_value=0, max_value=COUNT_MAX, help_text="Units ordered on the storefront."
    )


class DemandSignalBatchInput(serializers.Serializer):
    signals = DemandSignalInput(
        many=True,
        allow_empty=False,
        max_length=settings.DEMAND_SIGNALS_MAX,  # type: ignore[call-arg]  # ListSerializer's
        help_text=f"1 to {settings.DEMAND_SIGNALS_MAX} rows, each listing, market and day once.",
    )


class UnknownListingOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="The row's place in `signals` (from 0).")
    listing = serializers.IntegerField(help_text="The id no listing has.")


class DemandSignalBatchOutput(serializers.Serializer):
    applied = serializers.IntegerField(help_text="Rows written: new, or replacing the same day's.")
    unknown = UnknownListingOutput(
        many=True, help_text="Rows naming no listing: nothing written for them."
    )


class DemandSignalOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)

    class Meta:
        model = DemandSignal
        fields = [
            "listing",
            "market",
            "day",
            "views",
            "add_to_carts",
            "units_ordered",
            "platform_units",
            "updated_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "platform_units": {
                "help_text": "Units of the platform's own consumer orders (not cancelled) that "
                "day, counted by the nightly planning job."
            },
            "updated_at": {"help_text": "When the storefront last posted this row."},
        }


class DemandSignalFilter(django_filters.FilterSet):
    listing = IdFilter(field_name="listing_id", label="Listing id")
    market = django_filters.ChoiceFilter(choices=Market.choices, label="Market code")
    since = django_filters.DateFilter(field_name="day", lookup_expr="gte", label="On or after")
    until = django_filters.DateFilter(field_name="day", lookup_expr="lte", label="On or before")

    class Meta:
        model = DemandSignal
        fields = ["listing", "market", "since", "until"]


class DayCursorPagination(CreatedCursorPagination):
    """Newest day first."""

    ordering = ("-day", "-id")


class ReadOrPostSignals(HasScope):
    """Reading needs `read`, as everywhere, or `signals:write`: the storefront may read back
    what it posted."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method == "GET" and Scope.SIGNALS_WRITE.value in request_scopes(request):
            return True
        return super().has_permission(request, view)


class DemandSignalListCreateApi(generics.ListAPIView[DemandSignal]):
    serializer_class = DemandSignalOutput
    filterset_class = DemandSignalFilter
    pagination_class = DayCursorPagination
    permission_classes = [ReadOrPostSignals]
    required_scopes = {"POST": Scope.SIGNALS_WRITE.value}

    def get_queryset(self) -> QuerySet[DemandSignal]:
        return signals_visible_to(cast(User, self.request.user))

    @extend_schema(
        operation_id="demand_signals_list",
        summary="List demand signals",
        description=(
            "What the storefront posted of each listing, market and day, with the platform's "
            "own units ordered that day; newest day first. Filter by `listing`, `market`, "
            "`since` and `until` (days, both included). A supplier user sees its own listings' "
            "signals only; integrators (scope `read` or `signals:write`) and staff all."
        ),
        responses={200: DemandSignalOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="demand_signals_create",
        summary="Post demand signals (storefront)",
        description=(
            "The storefront posts what it saw of each listing in each market on each day in bulk "
            f"(scope `signals:write`): up to {settings.DEMAND_SIGNALS_MAX} rows a request. "
            "Posting the same listing, market and day again replaces that row's views, "
            "add-to-carts and units ordered, so a request may be repeated safely.\n\n"
            "The whole batch is refused, nothing applied, when any row is out of shape: 400 "
            "`invalid` naming each field at fault by its place (`signals[3].views`): a missing "
            "field, a count that is not a whole number from 0, a market the platform does not "
            "sell in, a day that is not YYYY-MM-DD or is after China's today, a listing, market "
            "and day sent twice (`signals[7]`); or `signals`: an empty batch or one over the "
            "limit. Rows naming no listing are reported in `unknown` (200) and the rest applied."
        ),
        request=DemandSignalBatchInput,
        responses={200: DemandSignalBatchOutput, **error_responses(400, 401, 403, 415, 429)},
        examples=[
            OpenApiExample(
                "Two rows",
                request_only=True,
                value={
                    "signals": [
                        {
                            "listing": 412,
                            "market": "US",
                            "day": "2026-03-10",
                            "views": 1830,
                            "add_to_carts": 96,
                            "units_ordered": 31,
                        },
                        {
                            "listing": 412,
                            "market": "EU",
                            "day": "2026-03-10",
                            "views": 402,
                            "add_to_carts": 12,
                            "units_ordered": 0,
                        },
                    ]
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict) or "signals" not in body:
            message = _("Send an object with `signals`: a list of 1 to %(max)d rows.") % {
                "max": settings.DEMAND_SIGNALS_MAX
            }
            raise DomainError(
                "invalid", message, kind=ErrorKind.MALFORMED, fields={"signals": message}
            )
        outcome = signals_ingest(body["signals"], actor=cast(User, request.user))
        return Response(
            DemandSignalBatchOutput(
                {
                    "applied": outcome.applied,
                    "unknown": [
                        {"index": index, "listing": listing} for index, listing in outcome.unknown
                    ],
                }
            ).data
        )


urlpatterns = [
    path("demand-signals/", DemandSignalListCreateApi.as_view(), name="api-demand-signals"),
]
