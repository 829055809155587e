"""The storefront's `Idempotency-Key` on creating requests: the same key and body get the
original response (status and body) and nothing new is made; the same key with another body is
refused with 422; a request without a key is refused with 400.

Only a success is stored: a refusal or invalid input made nothing, so a retry with the same key
is evaluated again (e.g. once the supplier's JIT resumes). Keys belong to the calling user.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from orders.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length or 100

SCHEMA_PARAMETERS = [
    OpenApiParameter(
        HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        required=True,
        description=(
            f"A unique key per order (e.g. a UUID), at most {MAX_LENGTH} characters. Retrying "
            "with the same key and body answers the original response and creates nothing; "
            "the same key with another body is refused with 422 `idempotency_key_reused`; "
            "without a key the answer is 400 `idempotency_key_required`. Refusals are not "
            "stored: a retry with the key is evaluated again."
        ),
    ),
    OpenApiParameter(
        REPLAYED_HEADER,
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[201],
        description="`true` when the response is the stored answer to an earlier request.",
    ),
]


def _key(request: Request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise DomainError(
            "idempotency_key_required",
            _("Send an Idempotency-Key header, unique per order, so a retry is safe."),
            fields={HEADER: [_("Required.")]},
            kind=ErrorKind.MALFORMED,
        )
    if len(key) > MAX_LENGTH:
        raise DomainError(
            "idempotency_key_invalid",
            _("An Idempotency-Key has at most %(max)d characters.") % {"max": MAX_LENGTH},
            fields={HEADER: [_("Too long.")]},
            kind=ErrorKind.MALFORMED,
        )
    return key


def request_hash(data: Any) -> str:
    """The SHA-256 of the body as canonical JSON: key order and spacing do not make a new body."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: IdempotencyKey, digest: str, field_order: Sequence[str]) -> Response:
    if stored.request_hash != digest:
        raise DomainError(
            "idempotency_key_reused",
            _("This Idempotency-Key was used with another request body."),
            fields={HEADER: [_("Already used with another body.")]},
            kind=ErrorKind.INVALID,
        )
    body = stored.response_body
    if isinstance(body, dict):
        # jsonb keeps no key order: give the keys back in the order of the first answer.
        body = {
            **{name: body[name] for name in field_order if name in body},
            **{name: value for name, value in body.items() if name not in field_order},
        }
    return Response(body, status=stored.response_status, headers={REPLAYED_HEADER: "true"})


def _claim(user: User, key: str, digest: str) -> IdempotencyKey | None:
    """Insert the key first, in the caller's transaction. A concurrent request with the same
    key waits here on the unique constraint until the first one commits (then this insert fails
    and the first one's stored answer is returned) or rolls back (then this one goes ahead)."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, request_hash=digest, response_status=0, response_body={}
            )
    except IntegrityError:
        return None


def idempotent_response(
    request: Request,
    perform: Callable[[], tuple[int, dict[str, Any]]],
    *,
    field_order: Sequence[str] = (),
) -> Response:
    """Answer with `perform()` (status and body) once per key; replay it for a retry."""
    user: User = request.user  # type: ignore[assignment]
    key = _key(request)
    digest = request_hash(request.data)
    stored = IdempotencyKey.objects.filter(user=user, key=key).first()
    if stored is not None:
        return _replay(stored, digest, field_order)
    # The key and what `perform` makes commit together: a crash leaves neither, and a refusal
    # (a DomainError) rolls the key back too, so nothing is stored for it.
    with transaction.atomic():
        claim = _claim(user, key, digest)
        if claim is None:
            winner = IdempotencyKey.objects.get(user=user, key=key)
            return _replay(winner, digest, field_order)
        code, body = perform()
        claim.response_status, claim.response_body = code, body
        claim.save(update_fields=["response_status", "response_body"])
    return Response(body, status=code)


def idempotent_create(
    request: Request,
    input_class: type[serializers.Serializer],
    make: Callable[[dict[str, Any]], dict[str, Any]],
    *,
    field_order: Sequence[str] = (),
) -> Response:
    """The storefront's create flow, the same for every order it places: the body parsed by
    `input_class` (400 when invalid), `make(validated data)` calls the service and gives the
    body of the 201; once per Idempotency-Key, replayed for a retry."""

    def perform() -> tuple[int, dict[str, Any]]:
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        return status.HTTP_201_CREATED, make(data.validated_data)

    return idempotent_response(request, perform, field_order=field_order)
