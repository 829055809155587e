"""Parcels: the list and one parcel (with items, milestone times and tracking events) for
integrators with `read` (all parcels) and supplier users (their own), and the seller's shipment
of a semi-managed parcel (supplier scope, its own parcels only). Reads go through
shipping.selectors.parcels; the shipment calls shipping.services.parcels.parcel_ship."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import SUPPLIER, User
from compliance.api.answer import ReasonOutput, compliance_blocked_response
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses
from marketplace.markets import Market

from ..models import Parcel, ParcelItem, TrackingEvent
from ..selectors.late import LATE
from ..selectors.parcels import hold_reason_texts, parcels_visible_to
from ..services.parcels import parcel_ship


def _caller(request: Request) -> User:
    return cast(User, request.user)


class ParcelFilter(django_filters.FilterSet):
    market = django_filters.ChoiceFilter(choices=Market.choices)
    status = django_filters.ChoiceFilter(choices=Parcel.Status.choices)
    mode = django_filters.ChoiceFilter(choices=Parcel.Mode.choices)
    late = django_filters.BooleanFilter(
        method="filter_late",
        label="true: late (flagged past the delivery target, not yet delivered or returned); "
        "false: not late",
    )
    held = django_filters.BooleanFilter(
        field_name="held_at",
        lookup_expr="isnull",
        exclude=True,
        label="true: in the hold queue (compliance refused shipping); false: not held",
    )

    class Meta:
        model = Parcel
        fields = ["market", "status", "mode", "late", "held"]

    def filter_late(self, queryset: QuerySet[Parcel], name: str, value: bool) -> QuerySet[Parcel]:
        return queryset.filter(LATE) if value else queryset.exclude(LATE)


class ParcelItemOutput(serializers.ModelSerializer):
    product = serializers.IntegerField(source="product_id", read_only=True)
    unit_value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="The retail price per unit frozen on the order, in the parcel's currency.",
    )

    class Meta:
        model = ParcelItem
        fields = [
            "product",
            "description",
            "hs_code",
            "origin_country",
            "quantity",
            "unit_value",
            "weight_g",
        ]
        read_only_fields = fields


class TrackingEventOutput(serializers.ModelSerializer):
    class Meta:
        model = TrackingEvent
        fields = ["external_id", "code", "occurred_at", "location", "note", "received_at"]
        read_only_fields = fields


class HoldReasonOutput(ReasonOutput):
    market = serializers.ChoiceField(choices=Market.choices)


class ParcelOutput(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_id", read_only=True)
    listing = serializers.IntegerField(source="listing_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    last_mile: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code",
        read_only=True,
        allow_null=True,
        help_text="The last-mile partner's code (platform parcels).",
    )
    batch = serializers.IntegerField(
        source="batch_id", read_only=True, allow_null=True, help_text="The air freight batch."
    )
    declared_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="In `currency`."
    )
    hold_reasons = serializers.SerializerMethodField(
        help_text="Why the parcel is held (empty unless `held_at`)."
    )
    items = ParcelItemOutput(many=True, read_only=True)

    class Meta:
        model = Parcel
        fields = [
            "id",
            "order",
            "listing",
            "supplier",
            "mode",
            "market",
            "country",
            "channel",
            "carrier",
            "tracking_number",
            "last_mile",
            "batch",
            "declared_value",
            "currency",
            "weight_g",
            "status",
            "created_at",
            "picked_up_at",
            "departed_origin_at",
            "arrived_destination_at",
            "customs_cleared_at",
            "out_for_delivery_at",
            "delivered_at",
            "returned_at",
            "exception_at",
            "exception_note",
            "held_at",
            "hold_reasons",
            "late_flagged_at",
            "items",
        ]
        read_only_fields = fields

    @extend_schema_field(HoldReasonOutput(many=True))
    def get_hold_reasons(self, parcel: Parcel) -> list[dict[str, Any]]:
        texts = hold_reason_texts(parcel)
        return [
            {
                "code": data.get("code"),
                "message": text,
                "standard": data.get("standard"),
                "on": data.get("on"),
                "fields": list(data.get("fields") or []),
                "market": data.get("market", parcel.market),
            }
            for data, text in zip(parcel.hold_reasons or [], texts, strict=True)
        ]


class ParcelDetailOutput(ParcelOutput):
    events = TrackingEventOutput(many=True, read_only=True, help_text="In time order.")

    class Meta(ParcelOutput.Meta):
        fields = [*ParcelOutput.Meta.fields, "events"]
        read_only_fields = fields


class ParcelShipInput(serializers.Serializer):
    carrier = serializers.CharField(max_length=60, help_text="The seller's carrier (e.g. UPS).")
    tracking_number = serializers.CharField(
        max_length=40, help_text="The carrier's tracking number: 6 to 40 letters, digits, dashes."
    )


def _parcels(user: User) -> QuerySet[Parcel]:
    return (
        parcels_visible_to(user)
        .select_related("last_mile")
        .prefetch_related(Prefetch("items", queryset=ParcelItem.objects.order_by("id")))
    )


class ParcelListApi(generics.ListAPIView[Parcel]):
    serializer_class = ParcelOutput
    filterset_class = ParcelFilter
    pagination_class = CreatedCursorPagination

    def get_queryset(self) -> QuerySet[Parcel]:
        return _parcels(_caller(self.request))

    @extend_schema(
        operation_id="parcels_list",
        summary="List parcels",
        description=(
            "Parcels, newest first: integrators with `read` and staff who may view them all; a "
            "supplier user its own. Filter by `market`, `status`, `mode`, `late=true` (flagged "
            "past the delivery target and not yet delivered or returned) and `held=true` (the "
            "hold queue)."
        ),
        responses={200: ParcelOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


def _detail(user: User, pk: int) -> Parcel:
    return get_object_or_404(
        _parcels(user).prefetch_related(
            Prefetch("events", queryset=TrackingEvent.objects.order_by("occurred_at", "id"))
        ),
        pk=pk,
    )


class ParcelDetailApi(APIView):
    @extend_schema(
        operation_id="parcels_retrieve",
        summary="Get a parcel",
        description=(
            "One parcel: its items, each milestone's time, the hold queue's reasons and its "
            "tracking events in time order. A supplier user sees its own only."
        ),
        responses={200: ParcelDetailOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(ParcelDetailOutput(_detail(_caller(request), pk)).data)


class ParcelShipApi(APIView):
    """The seller ships its semi-managed parcel."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="parcels_ship",
        summary="Ship a semi-managed parcel",
        description=(
            "The seller posts its carrier and tracking number for its own semi-managed parcel "
            "(supplier users only): the consumer order is fulfilled (the sale: the units leave "
            "its overseas stock and reservation, the payable is recorded at the supply price) "
            "and the parcel is picked up now. Posting the same carrier and number again changes "
            "nothing. Refused with a `code`: `invalid_shipment` (422, naming `carrier` or "
            "`tracking_number`), `shipped_by_platform` (422: a fully-managed parcel), "
            "`already_shipped` (409: posted with another number), `tracking_number_taken` "
            "(409: another parcel's number), `invalid_transition` (409: the order was "
            "cancelled), `compliance_blocked` (422: the listing may not be shipped to the "
            "market now; the parcel is in the hold queue, `reasons` lists why)."
        ),
        request=ParcelShipInput,
        responses={
            200: ParcelDetailOutput,
            **error_responses(400, 401, 403, 404, 409, 429),
            **compliance_blocked_response(),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        parcel = get_object_or_404(parcels_visible_to(user).select_related("listing"), pk=pk)
        data = ParcelShipInput(data=request.data)
        data.is_valid(raise_exception=True)
        parcel_ship(
            parcel,
            carrier=data.validated_data["carrier"],
            tracking_number=data.validated_data["tracking_number"],
            actor=user,
        )
        return Response(ParcelDetailOutput(_detail(user, pk)).data)


urlpatterns = [
    path("parcels/", ParcelListApi.as_view(), name="api-parcel-list"),
    path("parcels/<int:pk>/", ParcelDetailApi.as_view(), name="api-parcel-detail"),
    path("parcels/<int:pk>/ship/", ParcelShipApi.as_view(), name="api-parcel-ship"),
]
