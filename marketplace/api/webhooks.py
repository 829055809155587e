"""The webhooks in the OpenAPI schema: what `marketplace.webhooks` POSTs to the endpoints an
integrator subscribes to in the admin (SPECTACULAR_SETTINGS["WEBHOOKS"])."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from marketplace.event_kinds import EVENT_KINDS
from marketplace.webhooks import (
    EVENT_KIND_HEADER,
    WEBHOOK_ID_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
)


class EventSubjectBody(serializers.Serializer):
    type = serializers.CharField(help_text="The model changed: supplier, ledgerentry, ...")
    id = serializers.CharField()


class EventBody(serializers.Serializer):
    id = serializers.IntegerField(help_text="The event id: receivers drop repeats by it.")
    # A string, not an enum: later features add kinds, and receivers should ignore unknown ones.
    kind = serializers.CharField(help_text="What happened; see the list of kinds.")
    occurred_at = serializers.DateTimeField()
    supplier_id = serializers.IntegerField(
        allow_null=True, help_text="The supplier concerned, if any."
    )
    subject = EventSubjectBody(allow_null=True, help_text="What changed, if anything.")
    reason = serializers.CharField(allow_blank=True, help_text="Why, as an operator gave it.")
    payload = serializers.DictField(help_text="Details by kind (see the list of kinds).")


_KINDS_TEXT = "\n".join(f"- `{kind}`: {spec.summary}" for kind, spec in EVENT_KINDS.items())

DESCRIPTION = f"""\
Each event is POSTed as JSON to every active endpoint subscribed to its kind, at least once:
deliveries are retried with exponential back-off for up to 24 hours until the receiver answers
2xx (a redirect counts as a failure), and an operator can replay one. Drop repeats by `id`.

Signed per the Standard Webhooks specification (https://www.standardwebhooks.com/): verify
with its library for your language and the endpoint's `whsec_...` secret. Headers:

- `{WEBHOOK_ID_HEADER}`: the event id (as in the body), the same on every retry.
- `{WEBHOOK_TIMESTAMP_HEADER}`: Unix seconds when this attempt was sent.
- `{WEBHOOK_SIGNATURE_HEADER}`: `v1,<base64>`, the HMAC-SHA256 keyed with the secret's bytes
  over `<id>.<timestamp>.<raw body>`.
- `{EVENT_KIND_HEADER}`: the event kind (as in the body).

Kinds:

{_KINDS_TEXT}
"""

event_webhook = OpenApiWebhook(
    name="event",
    decorator=extend_schema(
        summary="An event: a state change of a supplier, its catalogue, orders, stock or money",
        description=DESCRIPTION,
        request={"application/json": EventBody},
        responses={
            200: OpenApiResponse(description="Any 2xx: received (the body is ignored)."),
        },
    ),
)
