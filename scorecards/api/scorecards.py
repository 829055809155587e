"""Suppliers' scorecards through the API (SPEC, "Scorecard"): one row a supplier a day, each
component's counts, its Wilson interval and its score (null: no data, not scored), the overall
score and the standing. A supplier user reads its own history; integrators with the `read`
scope and staff who may view scorecards, every supplier's. Newest day first."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import django_filters
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from marketplace.api.filters import IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses
from suppliers.models import Scorecard, Standing

from ..selectors.cards import explain, scorecards_visible_to
from ..selectors.scoring import COMPONENTS


class ComponentOutput(serializers.Serializer[Any]):
    name = serializers.ChoiceField(choices=[c.name for c in COMPONENTS])
    scored = serializers.BooleanField(
        help_text="False: no activity in the window (no data): neither 0 nor 100."
    )
    n = serializers.IntegerField(
        help_text="What was counted: shipments due, lots inspected, units sold, returned units "
        "inspected, lab tests; for `corrective`, 1 when the supplier has had a factory audit."
    )
    hits = serializers.IntegerField(
        help_text="Of those: shipped on time, lots rejected, units returned, units defective, "
        "tests passed; for `corrective`, the open corrective actions."
    )
    low = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text="The rate's Wilson interval at SCORECARD_CONFIDENCE, lower end (0-1); null "
        "when not scored or for `corrective`.",
    )
    high = serializers.DecimalField(
        max_digits=5, decimal_places=4, allow_null=True, help_text="Its upper end."
    )
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="0-100 by the interval's pessimistic end; null when not scored.",
    )
    score_high = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="0-100 by the interval's optimistic end; null when not scored.",
    )
    weight = serializers.IntegerField(help_text="Its weight in SCORECARD_WEIGHTS.")
    share = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        allow_null=True,
        help_text="Its share of the overall score: the weights renormalised over the scored "
        "components (0-1); null when not scored.",
    )


class ScorecardOutput(serializers.ModelSerializer[Scorecard]):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    standing = serializers.ChoiceField(
        choices=Standing.choices,
        read_only=True,
        help_text="From the overall score's bands (SCORECARD_STANDINGS); `new` when nothing is "
        "scored yet.",
    )
    components = serializers.SerializerMethodField()

    class Meta:
        model = Scorecard
        fields = [
            "id",
            "supplier",
            "day",
            "computed_at",
            "score",
            "score_high",
            "standing",
            "components",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "score": {"help_text": "The overall score 0-100 (pessimistic); null: not scored."},
            "score_high": {"help_text": "The overall score by the optimistic ends."},
            "day": {"help_text": "The China date the scorecard is for (window ending that day)."},
        }

    @extend_schema_field(ComponentOutput(many=True))
    def get_components(self, card: Scorecard) -> Any:
        rows = [
            {
                "name": c.name,
                "scored": c.scored,
                "n": c.n,
                "hits": c.hits,
                "low": c.low,
                "high": c.high,
                "score": c.score,
                "score_high": c.score_high,
                "weight": c.weight,
                "share": None if c.share is None else c.share.quantize(Decimal("0.0001")),
            }
            for c in explain(card)
        ]
        return ComponentOutput(rows, many=True).data


class ScorecardFilter(django_filters.FilterSet):
    supplier = IdFilter(field_name="supplier_id", label="Supplier id")
    standing = django_filters.ChoiceFilter(choices=Standing.choices)
    day = django_filters.DateFilter(field_name="day", label="The scorecards of this day")
    day_from = django_filters.DateFilter(
        field_name="day", lookup_expr="gte", label="On or after this day"
    )
    day_to = django_filters.DateFilter(
        field_name="day", lookup_expr="lte", label="On or before this day"
    )

    class Meta:
        model = Scorecard
        fields = ["supplier", "standing", "day", "day_from", "day_to"]


class DayCursorPagination(CreatedCursorPagination):
    """Newest day first."""

    ordering = ("-day", "-id")


class ScorecardListApi(generics.ListAPIView[Scorecard]):
    serializer_class = ScorecardOutput
    filterset_class = ScorecardFilter
    pagination_class = DayCursorPagination

    def get_queryset(self) -> QuerySet[Scorecard]:
        return scorecards_visible_to(cast(User, self.request.user))

    @extend_schema(
        operation_id="scorecards_list",
        summary="List scorecards",
        description=(
            "Suppliers' daily scorecards over the rolling SCORECARD_WINDOW_DAYS, newest day "
            "first: each component's counts, interval and score (null: no data), the overall "
            "score and the standing. A supplier user sees its own history only; integrators "
            "(scope `read`) and staff every supplier's. Filter by `supplier`, `standing`, "
            "`day`, `day_from` and `day_to`."
        ),
        responses={200: ScorecardOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ScorecardDetailApi(generics.RetrieveAPIView[Scorecard]):
    serializer_class = ScorecardOutput

    def get_queryset(self) -> QuerySet[Scorecard]:
        return scorecards_visible_to(cast(User, self.request.user))

    @extend_schema(
        operation_id="scorecards_retrieve",
        summary="Get a scorecard",
        description=(
            "One day's scorecard of a supplier, with each component's counts, interval, score "
            "and weight. Visible to its supplier, integrators (scope `read`) and staff."
        ),
        responses={200: ScorecardOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


urlpatterns = [
    path("scorecards/", ScorecardListApi.as_view(), name="api-scorecard-list"),
    path("scorecards/<int:pk>/", ScorecardDetailApi.as_view(), name="api-scorecard-detail"),
]
