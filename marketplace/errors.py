"""The one domain error type.

Services raise `DomainError` when a business rule refuses an action. The API's exception handler
turns it into a 4xx JSON body, portal views into a flash message, the admin into a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    """A business rule said no.

    `code` is machine-readable and stable (clients switch on it); `message` is for people;
    `fields` names the input fields at fault, if any; `status` is the HTTP status the API uses
    (409 for a conflict with the current state, 422 for a request that can never succeed).
    """

    status = 409

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: Mapping[str, Sequence[str] | str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = {
            name: [errors] if isinstance(errors, str) else list(errors)
            for name, errors in (fields or {}).items()
        }
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message
