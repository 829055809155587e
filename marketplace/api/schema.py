"""The schema generator: every operation documents the errors any operation can answer, with the
error body, on top of those its view lists (409, 422 and the like are the view's to document).

- 400: invalid input, including a malformed query string or body sent to any operation;
- 401: a wrong key (sent to any operation, even a public one);
- 403: a missing scope or role, unless the operation is public;
- 404: an id in the address that names nothing the caller may see;
- 415: a body that is not JSON, where the operation takes one;
- 429: over the rate limit.

Responses are JSON whatever the Accept header asks (marketplace.api.negotiation), so no 406.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny

# --- The error body ---------------------------------------------------------------------------


@extend_schema_serializer(component_name="Error")
class ErrorOutput(serializers.Serializer):
    """Every API error: see marketplace.api.exceptions."""

    code = serializers.CharField(help_text="Machine-readable, stable: switch on it.")
    message = serializers.CharField(help_text="For people.")
    # The metaclass takes declared fields out of the class body, so this does not shadow
    # Serializer.fields.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="The input fields at fault, each with its messages (empty when none).",
    )


ERROR_DESCRIPTIONS = {
    400: "Invalid input; `fields` names each field at fault.",
    401: "No API key, or an invalid, revoked or inactive one.",
    403: "The caller lacks the scope (named in `message`) or the role this operation needs.",
    404: "Not found, or not visible to the caller (another supplier's records).",
    409: "Refused by the current state (e.g. a bank reference already credited).",
    415: "The body is not JSON (send `Content-Type: application/json`).",
    422: "A business rule refuses the request; `code` says which, `fields` where.",
    429: "Over the rate limit.",
}


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    return {
        status: OpenApiResponse(ErrorOutput, description=ERROR_DESCRIPTIONS[status])
        for status in statuses
    }


def _error_response(status: int) -> OpenApiResponse:
    return error_responses(status)[status]


# --- The generator ----------------------------------------------------------------------------


class AutoSchema(openapi.AutoSchema):
    def _is_public(self) -> bool:
        return all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _common_error_statuses(self) -> list[int]:
        statuses = [400, 401, 429]
        if not self._is_public():
            statuses.append(403)
        if "{" in self.path:
            statuses.append(404)
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            statuses.append(415)
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in sorted(self._common_error_statuses()):
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(
                    _error_response(status), str(status), direction=direction
                )
        return dict(sorted(responses.items()))
