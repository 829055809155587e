"""The one domain error type.

Services raise `DomainError` when a business rule refuses an action. It says what kind of
refusal it is (`ErrorKind`), never an HTTP status: each door maps the kind itself. The API's
exception handler turns it into a 4xx JSON body (`marketplace/api/exceptions.py`), portal views
into a message beside the field or at the top of the page (`portal/errors.py`), the admin into
`message_user`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class ErrorKind(StrEnum):
    """What kind of "no" a service said."""

    #: The request itself is unreadable: a header, a cursor, a parameter no client should send.
    MALFORMED = "malformed"
    #: The actor may not do this at all (an operator-only action, an owner-only change).
    FORBIDDEN = "forbidden"
    #: The thing asked about does not exist for this actor.
    NOT_FOUND = "not_found"
    #: The current state refuses the action; it may succeed later or after another change.
    CONFLICT = "conflict"
    #: The request can never succeed as asked (a rule on its content said no).
    INVALID = "invalid"


class DomainError(Exception):
    """A business rule said no.

    `code` is machine-readable and stable (clients switch on it); `message` is for people;
    `fields` names the input fields at fault, if any; `kind` says what sort of refusal it is;
    `extra` holds more of the API's error body under its own keys (JSON-ready values).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: ErrorKind = ErrorKind.CONFLICT,
        fields: Mapping[str, Sequence[str] | str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.fields = {
            name: [errors] if isinstance(errors, str) else list(errors)
            for name, errors in (fields or {}).items()
        }
        # More of the error body, beside code, message and fields (e.g. `reasons` of a
        # `compliance_blocked` refusal); each door shows it its own way.
        self.extra = dict(extra or {})

    def __str__(self) -> str:
        return self.message


def invalid_input(
    code: str, field: str, message: str, kind: ErrorKind = ErrorKind.INVALID
) -> DomainError:
    """The refusal of one input: `field` is at fault, and `message` says why."""
    return DomainError(code, message, kind=kind, fields={field: [message]})
