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
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny


def _error_response(status: int) -> OpenApiResponse:
    # Imported late: the serializers module imports models, which the settings must not.
    from suppliers.api.serializers import ERROR_DESCRIPTIONS, ErrorOutput

    return OpenApiResponse(ErrorOutput, description=ERROR_DESCRIPTIONS[status])


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
