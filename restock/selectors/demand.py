"""The demand the planner forecasts: which listings it plans, and their daily demand as one
matrix read in one query.

A day's demand of a listing is the sum over markets of the larger of the storefront's
`units_ordered` and the platform's own `platform_units` (both count the same sales when both
know them: SPEC, "Demand-driven restock"; restock.models.DemandSignal)."""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import QuerySet

from catalogue.models import Listing

# The listings the restock job plans: fully managed, stocked by the platform (not JIT, whose
# goods are made to order), and on sale or about to be (approved, live, or paused for want of
# stock). The runs (restock.services.runs) split the same set into chunks.
PLANNED_STATUSES = (Listing.Status.APPROVED, Listing.Status.LIVE, Listing.Status.PAUSED)


def planned_listings() -> QuerySet[Listing]:
    """The listings a planning run forecasts and may propose to restock."""
    return Listing.objects.filter(
        mode=Listing.Mode.FULLY_MANAGED, is_jit=False, status__in=PLANNED_STATUSES
    )


def _planned_sql(alias: str) -> tuple[str, list[object]]:
    placeholders = ", ".join(["%s"] * len(PLANNED_STATUSES))
    return (
        f"{alias}.mode = %s AND NOT {alias}.is_jit AND {alias}.status IN ({placeholders})",
        [Listing.Mode.FULLY_MANAGED.value, *(s.value for s in PLANNED_STATUSES)],
    )


def demand_matrix(
    first_id: int, last_id: int, *, end_day: date, days: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The planned listings with ids in [first_id, last_id] (ascending) and their daily demand:
    an int matrix [listings, days] whose last column is `end_day` (zeros where no signal).

    One query: every listing of the range with its signals of the window, left-joined, so a
    listing without a signal is still listed. On PostgreSQL the rows come as `COPY (SELECT ...)
    TO STDOUT` text straight into numpy (18M rows are the nightly benchmark's load); elsewhere
    a plain cursor."""
    start_day = end_day - timedelta(days=days - 1)
    where, where_params = _planned_sql("l")
    if connection.vendor == "postgresql":
        offset = "(s.day - %s::date)"
        larger = "GREATEST(s.units_ordered, s.platform_units)"
    else:
        offset = "CAST(julianday(s.day) - julianday(%s) AS INTEGER)"
        larger = "MAX(s.units_ordered, s.platform_units)"
    # Only fixed fragments are formatted in; the values are parameters.
    sql = (
        f"SELECT l.id, COALESCE({offset}, -1), COALESCE({larger}, 0) "  # noqa: S608
        "FROM catalogue_listing l LEFT JOIN restock_demandsignal s "
        "ON s.listing_id = l.id AND s.day BETWEEN %s AND %s "
        f"WHERE l.id BETWEEN %s AND %s AND {where}"
    )
    params: list[Any] = [start_day, start_day, end_day, first_id, last_id, *where_params]
    if connection.vendor == "postgresql":
        rows = _copy_rows(sql, params)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        rows = np.array(fetched, dtype=np.int64).reshape(-1, 3)
    ids = np.unique(rows[:, 0])
    matrix = np.zeros((len(ids), days), dtype=np.int64)
    signal = rows[rows[:, 1] >= 0]
    if len(signal):
        # A listing's markets of one day add up.
        np.add.at(matrix, (np.searchsorted(ids, signal[:, 0]), signal[:, 1]), signal[:, 2])
    return ids, matrix


def _copy_rows(sql: str, params: list[Any]) -> npt.NDArray[np.int64]:
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params)
        if isinstance(query, bytes):
            query = query.decode()
        buffer = io.BytesIO()
        copy = f"COPY ({query}) TO STDOUT"
        started = time.monotonic()
        # psycopg2's own cursor: Django's wrapper neither runs nor logs a COPY.
        cursor.cursor.copy_expert(copy, buffer)
        if connection.queries_logged:
            # Logged as Django logs a query, so query counts (and the debug toolbar) see it.
            connection.queries_log.append(
                {"sql": copy, "time": f"{time.monotonic() - started:.3f}"}
            )
    text = buffer.getvalue()
    if not text:
        return np.zeros((0, 3), dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=" ").reshape(-1, 3)
