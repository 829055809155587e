"""Every API error has one body: `{"code": ..., "message": ..., "fields": {...}}`."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.errors import DomainError, ErrorKind

# How the API answers each kind of refusal. Services never name a status; this is the one map.
STATUS_FOR_KIND = {
    ErrorKind.MALFORMED: status.HTTP_400_BAD_REQUEST,
    ErrorKind.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    ErrorKind.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    ErrorKind.CONFLICT: status.HTTP_409_CONFLICT,
    ErrorKind.INVALID: status.HTTP_422_UNPROCESSABLE_ENTITY,
}

# Messages may quote the input ("x" is not a valid choice): an error never echoes more than this
# of it, whatever was sent.
MAX_MESSAGE_CHARS = 300


def bounded(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "\u2026"


def _bounded_fields(fields: Any) -> Any:
    if isinstance(fields, dict):
        return {bounded(str(key)): _bounded_fields(value) for key, value in fields.items()}
    if isinstance(fields, list):
        return [_bounded_fields(item) for item in fields]
    return bounded(str(fields))


def error_body(
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The error body; `extra` adds keys of a particular refusal (a `compliance_blocked` one's
    `reasons`), documented on the operations that answer it."""
    body = {"code": code, "message": bounded(str(message)), "fields": _bounded_fields(fields or {})}
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


def _flatten(detail: Any) -> Any:
    """DRF's nested ErrorDetail structures, as plain strings, lists and dicts."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return bounded(str(detail))


def _validation_fields(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {
            ("non_field_errors" if key == "__all__" else key): _flatten(value)
            for key, value in detail.items()
        }
    return {"non_field_errors": _flatten(detail if isinstance(detail, list) else [detail])}


def _first_message(fields: dict[str, Any]) -> str:
    for name, errors in fields.items():
        while isinstance(errors, dict | list) and errors:
            errors = next(iter(errors.values())) if isinstance(errors, dict) else errors[0]
        if name == "non_field_errors":
            return str(errors)
        return f"{name}: {errors}"
    return "Invalid input."


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.fields, exc.extra),
            status=STATUS_FOR_KIND[exc.kind],
        )
    if isinstance(exc, exceptions.ValidationError):
        fields = _validation_fields(exc.detail)
        return Response(
            error_body("invalid", _first_message(fields), fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a bug, logged and answered by Django's 500 handler
    assert isinstance(exc, exceptions.APIException)
    code = exc.get_codes()
    response.data = error_body(
        code if isinstance(code, str) else "error", str(_flatten(exc.detail))
    )
    return response


def _json_error(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def api_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error("not_found", "No API endpoint at this address.", 404)


def api_server_error(request: HttpRequest) -> JsonResponse:
    return _json_error("server_error", "An unexpected error occurred; it has been logged.", 500)


def flat_fields(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as the error body's flat `fields`: `orders[2].waybill`."""
    if isinstance(errors, dict):
        flat: dict[str, list[str]] = {}
        for name, value in errors.items():
            if name == "non_field_errors" and prefix:
                path = prefix
            elif isinstance(name, int):  # a list's errors by position
                path = f"{prefix}[{name}]"
            else:
                path = f"{prefix}.{name}" if prefix else str(name)
            flat.update(flat_fields(value, path))
        return flat
    if isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        flat = {}
        for index, item in enumerate(errors):
            flat.update(flat_fields(item, f"{prefix}[{index}]"))
        return flat
    if not errors:
        return {}
    return {prefix or "non_field_errors": [str(item) for item in errors]}
