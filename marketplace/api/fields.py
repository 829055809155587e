"""Serializer fields bounded to their database columns, so no input can overflow one (a 500)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

BIGINT_MAX = 2**63 - 1
INTEGER_MAX = 2**31 - 1  # PostgreSQL `integer`, what (Positive)IntegerField columns are


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """A row's id, as bigint primary keys take it."""
    return serializers.IntegerField(min_value=1, max_value=BIGINT_MAX, **kwargs)


def integer_field(**kwargs: Any) -> serializers.IntegerField:
    """A number stored in an integer column: the column's range only (the service says what
    makes sense, e.g. a negative quantity is its 422)."""
    return serializers.IntegerField(min_value=-INTEGER_MAX - 1, max_value=INTEGER_MAX, **kwargs)


class BlankAsNullChoiceField(serializers.ChoiceField):
    """A model's optional choice (blank in the database) as null, so the output keeps to its
    enum."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        if value in ("", None):
            return None
        return super().to_representation(value)
