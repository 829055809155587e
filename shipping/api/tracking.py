"""Carriers post tracking events in bulk (scope `tracking:write`).

One request carries up to TRACKING_BATCH_MAX events. A batch with any event out of shape (a
missing field, an unknown code, a malformed or over-long id, a time without its UTC offset or
in the future) is refused whole, naming each event at fault by its place (`events[3].code`):
nothing of it is applied. Otherwise every event naming a known parcel is applied, and those
naming none are reported back by their place; the carrier's own event id makes a repeat change
nothing, so a whole request may be sent again safely.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Scope, User
from marketplace.api.exceptions import flat_fields
from marketplace.api.schema import error_responses

from ..models import TRACKING_NUMBER, Milestone, TrackingEvent
from ..services.tracking import TrackingInput, tracking_record

# A tracking number as the platform and sellers write them (shipping.services.parcels), after
# upper-casing; a carrier's event id: printable ASCII without spaces, as long as its column.
EVENT_ID_MAX = TrackingEvent._meta.get_field("external_id").max_length or 64
EVENT_ID = re.compile(rf"[\x21-\x7e]{{1,{EVENT_ID_MAX}}}")


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that says its UTC offset: a carrier's local time without one could be
    any of a day's hours."""

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)  # shape, range and overflow refused here
        try:
            given = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            given = None
        if given is None or timezone.is_naive(given):
            raise serializers.ValidationError(
                _("Give the time with its UTC offset (e.g. 2026-03-10T08:30:00+08:00).")
            )
        return parsed


class TrackingEventInput(serializers.Serializer):
    tracking_number = serializers.CharField(
        max_length=40,
        help_text="The parcel's tracking number (letters, digits and `-`, 6 to 40; case "
        "does not matter).",
    )
    event_id = serializers.CharField(
        max_length=EVENT_ID_MAX,
        help_text=f"The carrier's own id of this event (printable ASCII, no spaces, at most "
        f"{EVENT_ID_MAX}): an event sent again under the same id changes nothing.",
    )
    code = serializers.ChoiceField(
        choices=Milestone.choices,
        help_text="What happened: a milestone, `exception` or `returned` (to the sender).",
    )
    occurred_at = AwareDateTimeField(
        help_text="When it happened, ISO 8601 with its UTC offset; at most "
        "SCAN_CLOCK_SKEW_SECONDS (5 minutes) in the future."
    )
    location = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="", help_text="Where."
    )
    note = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="The carrier's words (an exception's reason, e.g. `Address unknown`).",
    )

    def validate_tracking_number(self, value: str) -> str:
        number = value.strip().upper()
        if not TRACKING_NUMBER.fullmatch(number):
            raise serializers.ValidationError(
                _("Letters, digits and “-”, 6 to 40 characters, starting with a letter or digit.")
            )
        return number

    def validate_event_id(self, value: str) -> str:
        if not EVENT_ID.fullmatch(value):
            raise serializers.ValidationError(_("Printable ASCII characters only, no spaces."))
        return value


class TrackingBatchInput(serializers.Serializer):
    events = TrackingEventInput(
        many=True,
        allow_empty=False,
        max_length=settings.TRACKING_BATCH_MAX,  # type: ignore[call-arg]  # ListSerializer's
        help_text=f"1 to {settings.TRACKING_BATCH_MAX} events, in any order.",
    )


class UnknownOutput(serializers.Serializer):
    index = serializers.IntegerField(help_text="The event's place in `events` (from 0).")
    tracking_number = serializers.CharField(help_text="The number no parcel has.")


class TrackingBatchOutput(serializers.Serializer):
    applied = serializers.IntegerField(help_text="Events stored for the first time.")
    duplicates = serializers.IntegerField(
        help_text="Events already stored under the same carrier's id (sent before or twice in "
        "this batch): ignored."
    )
    parcels_changed = serializers.IntegerField(
        help_text="Parcels whose state or a milestone time changed."
    )
    unknown = UnknownOutput(
        many=True, help_text="Events naming no parcel: nothing stored for them."
    )


class TrackingEventCreateApi(APIView):
    required_scopes = {"POST": Scope.TRACKING_WRITE.value}

    @extend_schema(
        operation_id="tracking_events_create",
        summary="Post tracking events (carriers)",
        description=(
            "A carrier posts its parcel scans in bulk (scope `tracking:write`): up to "
            f"{settings.TRACKING_BATCH_MAX} events a request, in any order. Each parcel's "
            "state follows from the set of its events, whatever order or how late they "
            "arrive: the furthest milestone reached, each milestone's time the earliest of its "
            "events; an exception shows only while nothing happened after it, and `delivered` "
            "holds. An event sent again under the same `event_id` changes nothing, so a "
            "request may be repeated safely.\n\n"
            "The whole batch is refused, nothing applied, when any event is out of shape: 400 "
            "`invalid` naming each field at fault by its place (`events[3].code`: a missing "
            "field, an unknown code, a malformed or over-long tracking number or event id, a "
            "time without its UTC offset; `events`: an empty batch or one over the limit), or "
            "422 `occurred_in_future` naming each `events[i].occurred_at` more than 5 minutes "
            "ahead. Events for tracking numbers no parcel has are reported in `unknown` (200) "
            "and the rest applied. Each parcel whose status moved records a `parcel.<status>` "
            "event (webhooks)."
        ),
        request=TrackingBatchInput,
        responses={200: TrackingBatchOutput, **error_responses(400, 401, 403, 415, 422, 429)},
        examples=[
            OpenApiExample(
                "Two scans",
                request_only=True,
                value={
                    "events": [
                        {
                            "tracking_number": "LMU0000000412",
                            "event_id": "evt-88123",
                            "code": "picked_up",
                            "occurred_at": "2026-03-10T08:30:00+08:00",
                            "location": "Shenzhen hub",
                        },
                        {
                            "tracking_number": "LMU0000000412",
                            "event_id": "evt-88190",
                            "code": "exception",
                            "occurred_at": "2026-03-15T14:02:00-05:00",
                            "note": "Address unknown",
                        },
                    ]
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = TrackingBatchInput(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(flat_fields(data.errors))
        events = [
            TrackingInput(
                tracking_number=row["tracking_number"],
                external_id=row["event_id"],
                code=row["code"],
                occurred_at=row["occurred_at"],
                location=row["location"],
                note=row["note"],
            )
            for row in data.validated_data["events"]
        ]
        outcome = tracking_record(events, actor=cast(User, request.user))
        return Response(
            TrackingBatchOutput(
                {
                    "applied": outcome.applied,
                    "duplicates": outcome.duplicates,
                    "parcels_changed": len(outcome.changed),
                    "unknown": [
                        {"index": index, "tracking_number": number}
                        for index, number in outcome.unknown
                    ],
                }
            ).data
        )


urlpatterns = [
    path("tracking-events/", TrackingEventCreateApi.as_view(), name="tracking-events"),
]
