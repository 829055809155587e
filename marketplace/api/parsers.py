"""The API's JSON parser: what the database and the rest of the code can never take is refused
here, as a 400, before any view sees it.

- Nesting deeper than `MAX_DEPTH` (Python's own parser gives up near 1,000 levels with a
  RecursionError, which would be a 500).
- A NUL character in any string or key: PostgreSQL refuses it in text and jsonb.
- A lone UTF-16 surrogate (`"\\ud800"`): it cannot be encoded as UTF-8, so it could be neither
  stored nor hashed for an Idempotency-Key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

# Our bodies nest three levels at most; 32 leaves room and stays far from the recursion limit.
MAX_DEPTH = 32


def _bad_text(text: str) -> str | None:
    if "\x00" in text:
        return _("NUL characters are not allowed.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("Lone surrogate characters are not allowed.")
    return None


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def check_json(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings the database cannot store, naming the
    place (`orders[2].waybill`) in the error's `fields`. Iterative, so depth costs no stack."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise ParseError(
                    _("JSON nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
                )
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and (problem := _bad_text(key)):
                    raise ValidationError({path or "non_field_errors": [problem]})
                stack.append((item, _path(path, key), depth + 1))
        elif isinstance(value, str) and (problem := _bad_text(value)):
            raise ValidationError({path or "non_field_errors": [problem]})


class JSONParser(parsers.JSONParser):
    def parse(
        self,
        stream: IO[Any] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding) if stream is not None else ""
            data = json.loads(text, parse_constant=self._refuse_constant)
        except RecursionError:
            raise ParseError(
                _("JSON nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            ) from None
        except (ValueError, UnicodeError) as error:
            raise ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": error}
            ) from None
        check_json(data)
        return data

    @staticmethod
    def _refuse_constant(name: str) -> Any:
        # NaN and Infinity are not JSON, and no decimal or integer field can take them.
        raise ValueError(f"{name} is not allowed")
