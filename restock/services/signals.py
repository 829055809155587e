"""The storefront's demand signals, posted in bulk, and the platform's own consumer orders rolled
up beside them (SPEC, "Demand-driven restock").

`signals_ingest` takes a batch of up to DEMAND_SIGNALS_MAX rows as the storefront sends them
(JSON values: ids and counts as numbers, the day as `YYYY-MM-DD`). It checks every row in plain
Python first (a serializer per row costs more than the write of 10,000 rows): a batch with any
row out of shape is refused whole, each field at fault named by its place (`signals[3].day`),
nothing written. Rows naming no listing are reported back by their place and the rest applied
in one `INSERT ... ON CONFLICT (listing, day, market) DO UPDATE`: posting the same listing,
market and day again replaces that row's storefront counts (views, add-to-carts, units ordered)
and its `updated_at`, never the platform's units, so a batch may be sent again safely.

The rows are written in (listing, day, market) order: two batches with rows in common lock them
in the same order, so they wait for each other instead of deadlocking, and both succeed (the
later one's values stay).

`rollup_platform_orders` counts the platform's own consumer orders (not cancelled) of each
listing, market and China day of a range into `platform_units`, set-based: one
`INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE SET platform_units` and one UPDATE
putting back to 0 the rows of the range whose orders are gone (cancelled since).
"""

from __future__ import annotations

# The statements are built from our own constants (table and column names), never from input.
# ruff: noqa: S608
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.models import Listing
from marketplace.errors import DomainError, ErrorKind
from marketplace.formatting import suppliers_today
from marketplace.markets import Market
from orders.models import ConsumerOrder

from ..models import DemandSignal

# A count must fit the column (PostgreSQL `integer`); a listing id a bigint.
COUNT_MAX = 2**31 - 1
ID_MAX = 2**63 - 1
COUNTS = ("views", "add_to_carts", "units_ordered")
FIELDS = ("listing", "market", "day", *COUNTS)
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# One checked row: listing id, market code, day, views, add-to-carts, units ordered.
SignalRow = tuple[int, str, date, int, int, int]


@dataclass
class SignalsOutcome:
    # Rows written (inserted or replaced).
    applied: int = 0
    # (index in the batch, listing id) of rows naming no listing: nothing written for them.
    unknown: list[tuple[int, int]] = field(default_factory=list)


def _count(value: Any) -> bool:
    # bool is an int in Python, but `true` is not a count.
    return type(value) is int and 0 <= value <= COUNT_MAX


def signals_check(rows: Any, *, today: date | None = None) -> list[SignalRow]:
    """The batch's rows, checked and typed; refuses the whole batch (DomainError `invalid`,
    every field at fault named by its place: `signals[3].views`) when it is not a list of 1 to
    DEMAND_SIGNALS_MAX rows, or when any row lacks a field, has a count that is not a whole
    number from 0, a market the platform does not sell in, a day that is not a date or after
    China's today, or repeats the listing, market and day of an earlier row."""
    if not isinstance(rows, list | tuple) or not rows:
        message = _("Send a list of 1 to %(max)d signals.") % {"max": settings.DEMAND_SIGNALS_MAX}
        raise DomainError("invalid", message, kind=ErrorKind.MALFORMED, fields={"signals": message})
    if len(rows) > settings.DEMAND_SIGNALS_MAX:
        message = _("At most %(max)d signals a request.") % {"max": settings.DEMAND_SIGNALS_MAX}
        raise DomainError("invalid", message, kind=ErrorKind.MALFORMED, fields={"signals": message})
    today = today or suppliers_today()
    markets = frozenset(Market.values)
    faults: dict[str, str] = {}
    seen: dict[tuple[int, str, date], int] = {}
    checked: list[SignalRow] = []
    # The messages are looked up once, not once a row.
    required = _("This field is required.")
    not_count = _("A whole number from 0 to %(max)d.") % {"max": COUNT_MAX}
    not_id = _("A listing id: a whole number from 1.")
    not_market = _("Not a market the platform sells in (%(markets)s).") % {
        "markets": ", ".join(Market.values)
    }
    not_day = _("A date as YYYY-MM-DD.")
    future = _("This day is in the future: the last day allowed is China's today, %(today)s.") % {
        "today": today.isoformat()
    }
    for index, row in enumerate(rows):
        place = f"signals[{index}]"
        if not isinstance(row, dict):
            faults[place] = _("Each signal is an object with %(fields)s.") % {
                "fields": ", ".join(FIELDS)
            }
            continue
        bad = False
        listing = row.get("listing")
        if type(listing) is not int or not 1 <= listing <= ID_MAX:
            faults[f"{place}.listing"] = required if listing is None else not_id
            bad = True
        market = row.get("market")
        if not isinstance(market, str) or market not in markets:
            faults[f"{place}.market"] = required if market is None else not_market
            bad = True
        raw_day = row.get("day")
        day: date | None = None
        if isinstance(raw_day, str) and DAY.fullmatch(raw_day):
            try:
                day = date.fromisoformat(raw_day)
            except ValueError:
                day = None
        elif type(raw_day) is date:  # a caller in Python
            day = raw_day
        if day is None:
            faults[f"{place}.day"] = required if raw_day is None else not_day
            bad = True
        elif day > today:
            faults[f"{place}.day"] = future
            bad = True
        counts = []
        for name in COUNTS:
            value = row.get(name)
            if not _count(value):
                faults[f"{place}.{name}"] = required if value is None else not_count
                bad = True
            counts.append(value)
        if bad:
            continue
        key = (listing, market, day)
        first = seen.setdefault(key, index)  # type: ignore[arg-type]
        if first != index:
            faults[place] = _(
                "The same listing, market and day as signals[%(first)d]: send each once."
            ) % {"first": first}
            continue
        checked.append((listing, market, day, *counts))  # type: ignore[arg-type]
    if faults:
        rows_at_fault = len({name.split("]")[0] for name in faults})
        raise DomainError(
            "invalid",
            _("%(n)d of the %(total)d signals are out of shape: nothing was applied.")
            % {"n": rows_at_fault, "total": len(rows)},
            kind=ErrorKind.MALFORMED,
            fields=faults,
        )
    return checked


def signals_ingest(
    rows: Any, *, actor: User | None = None, today: date | None = None
) -> SignalsOutcome:
    """Apply a batch of the storefront's demand signals (see the module): refused whole when a
    row is out of shape (`signals_check`); rows naming no listing are reported back by their
    place, the rest written in one statement. `actor` is the storefront's user (nothing is
    recorded of it: a signal is data, not an action)."""
    checked = signals_check(rows, today=today)
    known = set(
        Listing.objects.filter(pk__in={row[0] for row in checked}).values_list("pk", flat=True)
    )
    outcome = SignalsOutcome()
    keep: list[SignalRow] = []
    # Indexes are of the batch as sent: a row out of shape would have refused it, so the
    # checked rows are the batch's rows in order.
    for index, row in enumerate(checked):
        if row[0] in known:
            keep.append(row)
        else:
            outcome.unknown.append((index, row[0]))
    if keep:
        keep.sort(key=lambda row: (row[0], row[2], row[1]))
        if connection.vendor == "postgresql":
            _upsert_sql(keep)
        else:
            _upsert_orm(keep)
    outcome.applied = len(keep)
    return outcome


# One statement for the whole batch, the rows as seven arrays (a handful of parameters
# whatever the batch's size). Joined to the listings, so that a listing deleted since it was
# looked up loses its rows instead of failing the batch on the foreign key.
_UPSERT = """
INSERT INTO restock_demandsignal
    (listing_id, market, day, views, add_to_carts, units_ordered, platform_units, updated_at)
SELECT t.l, t.m, t.d, t.v, t.a, t.u, 0, %s
FROM unnest(%s::bigint[], %s::varchar[], %s::date[], %s::integer[], %s::integer[],
            %s::integer[]) WITH ORDINALITY AS t(l, m, d, v, a, u, n)
JOIN catalogue_listing ON catalogue_listing.id = t.l
ORDER BY t.n
ON CONFLICT (listing_id, day, market) DO UPDATE SET
    views = EXCLUDED.views,
    add_to_carts = EXCLUDED.add_to_carts,
    units_ordered = EXCLUDED.units_ordered,
    updated_at = EXCLUDED.updated_at
"""


def _upsert_sql(rows: list[SignalRow]) -> None:
    # Each column as one array literal ('{1,2,3}'): psycopg2 would adapt a list as
    # ARRAY[...] of quoted, cast items, twice as slow to make and to parse. Safe to join: the
    # ids and counts are ints, the markets checked codes, the days dates.
    listings, markets, days, views, carts, units = (
        "{" + ",".join(map(str, column)) + "}" for column in zip(*rows, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [timezone.now(), listings, markets, days, views, carts, units])


def _upsert_orm(rows: list[SignalRow]) -> None:
    now = timezone.now()
    DemandSignal.objects.bulk_create(
        [
            DemandSignal(
                listing_id=listing,
                market=market,
                day=day,
                views=views,
                add_to_carts=carts,
                units_ordered=units,
                updated_at=now,
            )
            for listing, market, day, views, carts, units in rows
        ],
        update_conflicts=True,
        unique_fields=["listing", "day", "market"],
        update_fields=[*COUNTS, "updated_at"],
    )


# --- The platform's own orders --------------------------------------------------------------


def rollup_platform_orders(*, since: date, until: date) -> int:
    """Count the platform's consumer orders (not cancelled) of each listing, market and China
    day from `since` to `until` (both included) into DemandSignal.platform_units: rows are made
    for days with orders and no signal, and the rows of the range whose orders are all gone
    (cancelled since the last rollup) go back to 0. Set-based, on PostgreSQL and SQLite alike
    (the China day is the database's own time-zone conversion, Django's TruncDate). Returns the
    number of rows whose platform units changed to a count of orders."""
    if until < since:
        return 0
    zone = zoneinfo.ZoneInfo(settings.PORTAL_TIME_ZONE)
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    counted = ConsumerOrder.objects.filter(ordered_at__gte=start, ordered_at__lt=end).exclude(
        status=ConsumerOrder.Status.CANCELLED
    )
    per_day = (
        counted.annotate(order_day=TruncDate("ordered_at", tzinfo=zone))
        .values("listing_id", "market", "order_day")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    select, params = per_day.query.sql_with_params()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    # `WHERE true`: SQLite's reading of INSERT ... SELECT ... ON CONFLICT needs a WHERE before
    # the upsert clause. In (listing, day, market) order, as signals_ingest writes.
    statement = f"""
        INSERT INTO restock_demandsignal
            (listing_id, market, day, views, add_to_carts, units_ordered, platform_units,
             updated_at)
        SELECT s.listing_id, s.market, s.order_day, 0, 0, 0, s.units, %s
        FROM ({select}) AS s
        WHERE true
        ORDER BY s.listing_id, s.order_day, s.market
        ON CONFLICT (listing_id, day, market) DO UPDATE SET
            platform_units = EXCLUDED.platform_units
        WHERE restock_demandsignal.platform_units <> EXCLUDED.platform_units
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, [now, *params])
            written = cursor.rowcount
        gone = counted.filter(
            listing_id=OuterRef("listing_id"), market=OuterRef("market")
        ).annotate(order_day=TruncDate("ordered_at", tzinfo=zone))
        DemandSignal.objects.filter(day__gte=since, day__lte=until, platform_units__gt=0).exclude(
            Exists(gone.filter(order_day=OuterRef("day")))
        ).update(platform_units=0)
    return written
