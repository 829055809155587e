"""The daily return-rate job (SPEC, "Listings": return-rate feedback): the 30-day rows, the
warning and pause breaches, once per breach, their end, and the appeals of the fines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from catalogue.models import Listing, ListingReturnRate
from catalogue.services.listings import listing_resume, listing_stock_changed
from marketplace.errors import DomainError
from marketplace.models import Event, JobRun
from orders.models import ConsumerOrder
from returns.models import ReturnRateBreach, ReturnRequest
from returns.services.return_rate import (
    breach_appeal,
    breach_appeal_dismiss,
    breach_appeal_uphold,
    rate_of,
    return_rate_rows_write,
    return_rates_compute,
    window_of,
)
from returns.tasks import return_rates_task
from suppliers.models import LedgerEntry
from suppliers.selectors import supplier_balance
from tests.concurrency import run_in_threads
from tests.factories.logistics import member_of, operator

from .rates import give_back, rated_listing, sell, sold_and_returned

pytestmark = pytest.mark.django_db

S = Listing.Status
Level = ReturnRateBreach.Level


def row(listing: Listing) -> ListingReturnRate:
    return ListingReturnRate.objects.get(listing=listing, day=timezone.localdate())


def breaches(listing: Listing, level: str | None = None):
    found = ReturnRateBreach.objects.filter(listing=listing)
    return found.filter(level=level) if level else found


# --- The day's rows ----------------------------------------------------------------------------


def test_units_sold_and_returned_count_only_the_window_and_counted_reasons():
    listing = rated_listing()
    old = timezone.now() - timedelta(days=31)
    order = sell(listing, 30)
    sell(listing, 7, at=old)  # fulfilled before the window
    sell(listing, 5, status=ConsumerOrder.Status.RESERVED)  # not sold yet
    give_back(order, 2, why="defective")
    give_back(order, 1, why="not_as_described")
    give_back(order, 3, why="changed_mind")  # not a defect: not counted
    give_back(order, 4, status=ReturnRequest.Status.CANCELLED)
    give_back(order, 4, status=ReturnRequest.Status.DECLINED)
    give_back(sell(listing, 1, at=old), 1, at=old)  # requested before the window
    now = timezone.now()

    run = return_rates_compute(now=now)

    rate = row(listing)
    assert (rate.units_sold, rate.units_returned, rate.rate) == (30, 3, Decimal("0.1000"))
    assert run.rows == 1
    assert window_of(now) == (now - timedelta(days=30), now)


def test_a_listing_with_returns_but_no_sales_in_the_window_has_no_rate():
    listing = rated_listing()
    old = timezone.now() - timedelta(days=40)
    give_back(sell(listing, 3, at=old), 2, at=timezone.now())
    return_rates_compute()
    assert (row(listing).units_sold, row(listing).units_returned, row(listing).rate) == (
        0,
        2,
        None,
    )


def test_a_rerun_the_same_day_rewrites_the_days_row():
    listing = rated_listing()
    order = sold_and_returned(listing, 10, 1)
    return_rates_compute()
    give_back(order, 2)
    return_rates_compute()
    assert ListingReturnRate.objects.filter(listing=listing).count() == 1
    assert (row(listing).units_sold, row(listing).units_returned) == (10, 3)


@pytest.mark.postgres
def test_the_single_statement_and_the_orm_write_the_same_rows():
    assert connection.vendor == "postgresql"
    listings = [rated_listing() for _ in range(4)]
    sold_and_returned(listings[0], 30, 4)
    sold_and_returned(listings[1], 3, 2, why="not_as_described")
    sold_and_returned(listings[2], 7, 0)
    give_back(sell(listings[3], 3, at=timezone.now() - timedelta(days=45)), 1)
    now = timezone.now()
    start, end = window_of(now)
    day = timezone.localdate(now)

    def rows() -> list[tuple]:
        return list(
            ListingReturnRate.objects.order_by("listing_id").values_list(
                "listing_id", "day", "units_sold", "units_returned", "rate"
            )
        )

    assert return_rate_rows_write(day, start, end, sql=True) == 4
    by_sql = rows()
    ListingReturnRate.objects.all().delete()
    assert return_rate_rows_write(day, start, end, sql=False) == 4
    assert rows() == by_sql
    assert by_sql[0][2:] == (30, 4, Decimal("0.1333"))
    assert by_sql[3][2:] == (0, 1, None)


def test_rates_round_half_up_to_four_places():
    assert rate_of(3, 1) == Decimal("0.3333")
    assert rate_of(3, 2) == Decimal("0.6667")
    assert rate_of(0, 5) is None


# --- Breaches -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sold", "returned", "levels"),
    [
        (20, 1, []),  # 5%
        (25, 2, []),  # 8%: at the limit is within it
        (19, 10, []),  # too few units to judge
        (24, 2, [Level.WARNING]),  # 8.3%
        (20, 3, [Level.WARNING]),  # 15%: at the pause threshold is within it
        (33, 5, [Level.WARNING, Level.PAUSE]),  # 15.2%
    ],
)
def test_the_thresholds(sold, returned, levels):
    listing = rated_listing()
    sold_and_returned(listing, sold, returned)
    return_rates_compute()
    assert sorted(breaches(listing).values_list("level", flat=True)) == sorted(levels)


def test_returns_not_counted_toward_the_rate_open_nothing():
    listing = rated_listing()
    sold_and_returned(listing, 20, 10, why="changed_mind")
    return_rates_compute()
    assert not breaches(listing).exists()


def test_a_warning_tells_the_supplier_and_leaves_the_listing_on_sale():
    listing = rated_listing()
    sold_and_returned(listing, 40, 4)  # 10%
    run = return_rates_compute()
    breach = breaches(listing).get()
    assert (breach.level, breach.units_sold, breach.units_returned, breach.rate) == (
        Level.WARNING,
        40,
        4,
        Decimal("0.1000"),
    )
    assert breach.fine is None
    assert breach.ended_at is None
    event = Event.objects.get(kind="return_rate.warning")
    assert event.supplier_id == listing.supplier_id
    assert event.payload["listing"] == listing.pk
    assert event.payload["rate"] == "0.1000"
    listing.refresh_from_db()
    assert listing.status == S.LIVE
    assert run.warnings == 1
    assert run.pauses == 0


def test_a_pause_takes_the_listing_off_sale_for_review_and_fines_the_defective_supply_value():
    listing = rated_listing(price="20.00")
    order = sell(listing, 20, supply_price="20.00")
    sell(listing, 10, supply_price="25.00")
    give_back(order, 3, why="defective")
    give_back(order, 2, why="not_as_described")
    give_back(order, 4, why="size")  # not counted: not fined either
    before = supplier_balance(listing.supplier_id)

    run = return_rates_compute()

    pause = breaches(listing, Level.PAUSE).get()
    assert pause.rate == Decimal("0.1667")  # 5 / 30
    assert breaches(listing, Level.WARNING).count() == 1
    listing.refresh_from_db()
    assert listing.status == S.PAUSED
    assert not listing.paused_for_stock
    assert "16.7%" in listing.status_reason
    fine = pause.fine
    assert fine is not None
    assert (fine.kind, fine.amount) == (LedgerEntry.Kind.FINE, Decimal("-100.00"))  # 5 x 20
    assert fine.reference_id == str(pause.pk)
    assert supplier_balance(listing.supplier_id) == before - Decimal("100.00")
    event = Event.objects.get(kind="return_rate.paused")
    assert event.payload["fine"] == "100.00"
    assert event.payload["paused"] is True
    assert run.pauses == 1
    assert run.paused_listings == 1
    assert run.fined == Decimal("100.00")


def test_a_rerun_changes_nothing():
    listing = rated_listing()
    sold_and_returned(listing, 30, 6)
    return_rates_compute()
    events = Event.objects.count()
    entries = LedgerEntry.objects.count()

    run = return_rates_compute()

    assert breaches(listing).count() == 2
    assert (Event.objects.count(), LedgerEntry.objects.count()) == (events, entries)
    assert (run.warnings, run.pauses, run.ended) == (0, 0, 0)


def test_a_pause_holds_a_listing_paused_for_stock_so_stock_does_not_resume_it():
    listing = rated_listing()
    listing_stock_changed(listing, 0)
    listing.refresh_from_db()
    assert listing.status == S.PAUSED
    assert listing.paused_for_stock
    sold_and_returned(listing, 30, 6)
    return_rates_compute()
    listing.refresh_from_db()
    assert listing.status == S.PAUSED
    assert not listing.paused_for_stock
    listing_stock_changed(listing, 10)
    listing.refresh_from_db()
    assert listing.status == S.PAUSED
    # Resuming stays an operator's decision.
    listing_resume(listing, actor=operator(), reason="Supplier fixed the mould.")
    listing.refresh_from_db()
    assert listing.status == S.LIVE


def test_a_pause_leaves_a_delisted_listing_as_it_is_and_still_fines():
    listing = rated_listing()
    sold_and_returned(listing, 30, 6)
    Listing.objects.filter(pk=listing.pk).update(status=S.DELISTED)
    return_rates_compute()
    listing.refresh_from_db()
    assert listing.status == S.DELISTED
    pause = breaches(listing, Level.PAUSE).get()
    assert pause.fine is not None
    assert Event.objects.get(kind="return_rate.paused").payload["paused"] is False


def test_a_breach_ends_when_the_rate_falls_back_and_a_later_one_may_open():
    listing = rated_listing()
    sold_and_returned(listing, 30, 6)  # 20%
    return_rates_compute()
    sell(listing, 20)  # 6 / 50 = 12%: under the pause threshold, over the warning's
    run = return_rates_compute()
    assert run.ended == 1
    pause = breaches(listing, Level.PAUSE).get()
    assert pause.ended_at is not None
    assert breaches(listing, Level.WARNING).get().ended_at is None

    later = timezone.now() + timedelta(days=1)
    give_back(sell(listing, 1, at=later), 1, at=later)
    sold_and_returned(listing, 10, 6, at=later)  # 13 / 61 = 21%
    run = return_rates_compute(now=later)
    assert run.pauses == 1
    assert breaches(listing, Level.PAUSE).count() == 2
    assert breaches(listing, Level.PAUSE).filter(ended_at__isnull=True).count() == 1


def test_a_breach_ends_when_its_sales_leave_the_window():
    listing = rated_listing()
    sold_and_returned(listing, 30, 3)
    return_rates_compute()
    later = timezone.now() + timedelta(days=31)
    run = return_rates_compute(now=later)
    assert run.ended == 1
    assert breaches(listing).get().ended_at is not None
    assert (
        ListingReturnRate.objects.get(listing=listing, day=timezone.localdate(later)).rate is None
    )


def test_thresholds_are_settings(settings):
    settings.RETURN_RATE_LIMIT = Decimal("0.20")
    settings.RETURN_RATE_PAUSE = Decimal("0.50")
    settings.RETURN_RATE_MIN_UNITS = 5
    listing = rated_listing()
    sold_and_returned(listing, 10, 3)
    return_rates_compute()
    assert list(breaches(listing).values_list("level", flat=True)) == [Level.WARNING]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_in_parallel_open_each_breach_once():
    assert connection.vendor == "postgresql"
    listings = [rated_listing() for _ in range(4)]
    for listing in listings:
        sold_and_returned(listing, 30, 6)

    results = run_in_threads(return_rates_compute, return_rates_compute)

    assert sum(r.pauses for r in results) == 4
    assert sum(r.warnings for r in results) == 4
    assert ReturnRateBreach.objects.count() == 8
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.FINE).count() == 4
    assert Event.objects.filter(kind="return_rate.paused").count() == 4
    assert Event.objects.filter(kind="listing.status_changed", payload__to="paused").count() == 4
    assert ListingReturnRate.objects.count() == 4


# --- The doors of the job --------------------------------------------------------------------


def test_the_task_runs_as_a_tracked_job():
    listing = rated_listing()
    sold_and_returned(listing, 30, 3)
    summary = return_rates_task()
    job = JobRun.objects.get(name="return_rates")
    assert job.status == JobRun.Status.SUCCEEDED
    assert (job.total, job.done) == (2, 2)
    assert job.summary == summary
    assert "1 warnings" in summary


def test_the_command_runs_the_job(capsys):
    listing = rated_listing()
    sold_and_returned(listing, 30, 3)
    call_command("return_rates", verbosity=0)
    assert breaches(listing).count() == 1
    assert JobRun.objects.filter(name="return_rates", status=JobRun.Status.SUCCEEDED).exists()


# --- Appeals ---------------------------------------------------------------------------------


@pytest.fixture
def fined() -> ReturnRateBreach:
    listing = rated_listing()
    sold_and_returned(listing, 30, 6)
    return_rates_compute()
    return breaches(listing, Level.PAUSE).get()


def test_the_supplier_appeals_and_an_upheld_appeal_reverses_the_fine(fined):
    member = member_of(fined.listing)
    before = supplier_balance(fined.supplier_id)
    breach_appeal(fined, text="The courier crushed them.", actor=member)
    fined.refresh_from_db()
    assert fined.appeal == ReturnRateBreach.Appeal.PENDING
    assert fined.appeal_text == "The courier crushed them."

    staff = operator()
    breach_appeal_uphold(fined, note="Transit damage, not a defect.", actor=staff)
    fined.refresh_from_db()
    assert fined.appeal == ReturnRateBreach.Appeal.UPHELD
    assert fined.reversal is not None
    assert fined.reversal.corrects_id == fined.fine_id
    assert supplier_balance(fined.supplier_id) == before + Decimal("120.00")
    # Upheld once: a repeat changes nothing; the listing stays paused.
    breach_appeal_uphold(fined, note="again", actor=staff)
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.FINE_REVERSAL).count() == 1
    fined.listing.refresh_from_db()
    assert fined.listing.status == S.PAUSED
    kinds = list(
        Event.objects.filter(kind__startswith="return_rate.")
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds[-2:] == ["return_rate.appealed", "return_rate.upheld"]


def test_a_dismissed_appeal_keeps_the_fine(fined):
    breach_appeal(fined, text="Not ours.", actor=member_of(fined.listing))
    before = supplier_balance(fined.supplier_id)
    breach_appeal_dismiss(fined, note="Inspection confirmed the defects.", actor=operator())
    fined.refresh_from_db()
    assert fined.appeal == ReturnRateBreach.Appeal.DISMISSED
    assert fined.reversal is None
    assert supplier_balance(fined.supplier_id) == before
    with pytest.raises(DomainError) as refused:
        breach_appeal_uphold(fined, note="changed my mind", actor=operator())
    assert refused.value.code == "invalid_transition"


def test_an_appeal_after_the_window_is_refused(fined, settings):
    ReturnRateBreach.objects.filter(pk=fined.pk).update(
        detected_at=timezone.now() - timedelta(days=settings.RETURN_RATE_APPEAL_DAYS, seconds=1)
    )
    fined.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        breach_appeal(fined, text="Late.", actor=member_of(fined.listing))
    assert refused.value.code == "appeal_window_closed"
    fined.refresh_from_db()
    assert fined.appeal == ReturnRateBreach.Appeal.NONE


def test_only_the_supplier_appeals_with_a_reason_and_only_a_fine(fined):
    with pytest.raises(DomainError) as refused:
        breach_appeal(fined, text="Mine?", actor=member_of(rated_listing()))
    assert refused.value.code == "not_found"
    with pytest.raises(DomainError) as refused:
        breach_appeal(fined, text="  ", actor=member_of(fined.listing))
    assert refused.value.fields == {"text": ["Required."]}
    warning = breaches(fined.listing, Level.WARNING).get()
    with pytest.raises(DomainError) as refused:
        breach_appeal(warning, text="No fine here.", actor=member_of(fined.listing))
    assert refused.value.code == "nothing_to_appeal"


def test_deciding_needs_a_note(fined):
    breach_appeal(fined, text="Not ours.", actor=member_of(fined.listing))
    with pytest.raises(DomainError) as refused:
        breach_appeal_dismiss(fined, note=" ", actor=operator())
    assert list(refused.value.fields) == ["note"]
