"""Listings' return rates through the API (SPEC, "Listings": return-rate feedback): the daily
job's 30-day figures, one row per listing and day. A supplier user reads its own listings';
integrators with the `read` scope and staff who may view them, all. Newest day first."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from catalogue.models import ListingReturnRate
from marketplace.api.filters import IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses

from ..selectors.return_rates import return_rates_visible_to


class ReturnRateOutput(serializers.ModelSerializer):
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        allow_null=True,
        read_only=True,
        help_text="Units returned over units sold (0.0950 is 9.5%); null with nothing sold.",
    )
    judged = serializers.SerializerMethodField(
        help_text="Whether enough units were sold (RETURN_RATE_MIN_UNITS) for the rate to count."
    )
    level = serializers.SerializerMethodField(
        help_text="What the figure means on its day: `ok`, `warning` (over RETURN_RATE_LIMIT, "
        "8%) or `pause` (over RETURN_RATE_PAUSE, 15%); null when not judged."
    )

    class Meta:
        model = ListingReturnRate
        fields = ["listing", "day", "units_sold", "units_returned", "rate", "judged", "level"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_judged(self, row: ListingReturnRate) -> bool:
        return row.units_sold >= settings.RETURN_RATE_MIN_UNITS

    @extend_schema_field(
        serializers.ChoiceField(choices=["ok", "warning", "pause"], allow_null=True)
    )
    def get_level(self, row: ListingReturnRate) -> str | None:
        if row.units_sold < settings.RETURN_RATE_MIN_UNITS:
            return None
        returned = Decimal(row.units_returned)
        if returned > Decimal(settings.RETURN_RATE_PAUSE) * row.units_sold:
            return "pause"
        if returned > Decimal(settings.RETURN_RATE_LIMIT) * row.units_sold:
            return "warning"
        return "ok"


class ReturnRateFilter(django_filters.FilterSet):
    listing = IdFilter(field_name="listing_id", label="Listing id")
    day = django_filters.DateFilter(field_name="day", label="The figures of this day")
    day_after = django_filters.DateFilter(
        field_name="day", lookup_expr="gte", label="On or after this day"
    )

    class Meta:
        model = ListingReturnRate
        fields = ["listing", "day", "day_after"]


class DayCursorPagination(CreatedCursorPagination):
    """Newest day first."""

    ordering = ("-day", "-id")


class ReturnRateListApi(generics.ListAPIView[ListingReturnRate]):
    serializer_class = ReturnRateOutput
    filterset_class = ReturnRateFilter
    pagination_class = DayCursorPagination

    def get_queryset(self) -> QuerySet[ListingReturnRate]:
        return return_rates_visible_to(cast(User, self.request.user))

    @extend_schema(
        operation_id="return_rates_list",
        summary="List listings' return rates",
        description=(
            "Each listing's return rate over the 30 days up to each day (RETURN_RATE_WINDOW_DAYS): "
            "units of fulfilled consumer orders, and units returned as defective or not as "
            "described on returns not cancelled or declined, as the daily job wrote them; newest "
            "day first. Filter by `listing`, `day` or `day_after`. A supplier user sees its own "
            "listings only; integrators (scope `read`) and staff all. The stocking cap reads the "
            "latest row of a listing."
        ),
        responses={200: ReturnRateOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


urlpatterns = [
    path("return-rates/", ReturnRateListApi.as_view(), name="api-return-rate-list"),
]
