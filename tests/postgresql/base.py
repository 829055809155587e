"""PostgreSQL for the test run: Django's own backend, except that the test framework's flush
(after each transactional test: TRUNCATE of every table) says it means to empty the append-only
ledgers, whose triggers refuse TRUNCATE otherwise (suppliers/migrations/0006, logistics/0005).

`SET LOCAL` holds for the flush's own transaction only: a TRUNCATE anywhere else in a test, or
in the code under test, is still refused."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, operations

ALLOW_TRUNCATE = "SET LOCAL marketplace.allow_truncate = 'on'"


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style: Any, tables: Any, **options: Any) -> list[str]:
        statements = super().sql_flush(style, tables, **options)
        return [ALLOW_TRUNCATE, *statements] if statements else statements


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
