"""The scorecard's arithmetic and the nightly job's counting (SPEC, "Scorecard")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compliance.models import Audit, CorrectiveAction, Finding, TestRecord
from logistics.models import Inspection, StockingOrder
from marketplace.formatting import suppliers_today
from marketplace.models import Event, JobRun
from orders.models import JitOrder
from returns.models import ReturnRequest
from scorecards.checks import check_scorecard_settings
from scorecards.selectors.scoring import BY_NAME, overall, scores
from scorecards.services.compute import compute_scorecards, scorecard_row, window_of
from suppliers.models import Scorecard, Standing
from suppliers.standing import wilson
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import ListingFactory
from tests.factories.compliance import TestRecordFactory
from tests.factories.logistics import WarehouseFactory, receive_stock, stocked_listing
from tests.factories.orders import jit_order
from tests.factories.suppliers import SupplierFactory
from tests.returns.rates import give_back, sell

pytestmark = pytest.mark.django_db
D = Decimal
SHIP_WITHIN = timedelta(hours=24)


def counts(**given: int) -> dict[str, int]:
    base = dict.fromkeys(
        [
            "on_time_due",
            "on_time_ok",
            "inspected_lots",
            "rejected_lots",
            "units_sold",
            "units_returned",
            "returns_inspected",
            "returns_defective",
            "lab_tests",
            "lab_passed",
            "open_corrective_actions",
        ],
        0,
    )
    return {**base, **given}


def card_of(supplier, day=None) -> Scorecard:
    return Scorecard.objects.get(supplier=supplier, day=day or suppliers_today())


# --- The arithmetic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hits", "n", "low", "high"),
    [
        (1, 3, "0.0615", "0.7923"),
        (2, 3, "0.2077", "0.9385"),
        (5, 10, "0.2366", "0.7634"),
        (10, 10, "0.7225", "1.0000"),
        (0, 10, "0.0000", "0.2775"),
        (95, 100, "0.8882", "0.9785"),
    ],
)
def test_wilson_on_hand_examples(hits, n, low, high):
    lower, upper = wilson(hits, n)
    assert (f"{lower:.4f}", f"{upper:.4f}") == (low, high)


def test_wilson_of_nothing_is_no_data():
    assert wilson(0, 0) is None


def test_one_late_shipment_of_three_does_not_sink_a_new_supplier():
    card = scorecard_row(1, suppliers_today(), counts(on_time_due=3, on_time_ok=2), False)
    # Pessimistic: 100 x 0.2077; optimistic 100 x 0.9385: the evidence is thin either way.
    assert (card.on_time_score, card.score, card.score_high) == (D("20.77"), D("20.77"), D("93.85"))
    assert card.standing == Standing.GOOD


def test_one_return_of_three_units_with_clean_shipments_does_not_sink_a_new_supplier():
    card = scorecard_row(
        1,
        suppliers_today(),
        counts(on_time_due=3, on_time_ok=3, units_sold=3, units_returned=1),
        False,
    )
    assert card.standing == Standing.GOOD
    assert card.score < 50  # far below "good" pessimistically, yet not judged poor


@pytest.mark.parametrize(
    ("given", "score_field"),
    [
        ({"on_time_due": 3, "on_time_ok": 2}, "on_time_score"),
        ({"inspected_lots": 3, "rejected_lots": 1}, "quality_score"),
        ({"units_sold": 3, "units_returned": 1}, "returns_score"),
        ({"returns_inspected": 3, "returns_defective": 1}, "return_defects_score"),
        ({"lab_tests": 3, "lab_passed": 2}, "lab_pass_score"),
    ],
)
def test_one_bad_of_three_alone_does_not_sink_a_new_supplier(given, score_field):
    """Whichever component is the supplier's only activity (the shipped settings)."""
    card = scorecard_row(1, suppliers_today(), counts(**given), False)
    assert getattr(card, score_field) is not None
    assert card.score_high >= 70
    assert card.standing == Standing.GOOD


def test_a_large_bad_record_sinks():
    late = scorecard_row(1, suppliers_today(), counts(on_time_due=100, on_time_ok=30), False)
    assert late.score_high < 50
    assert late.standing == Standing.VERY_POOR
    returns = scorecard_row(
        1, suppliers_today(), counts(units_sold=200, units_returned=50), False
    )  # 25 %: even the optimistic end (19.6 %) is most of the worst (30 %)
    assert returns.standing in (Standing.POOR, Standing.VERY_POOR)
    assert returns.score_high < 70


def test_a_long_clean_record_earns_excellent_and_a_short_one_does_not():
    long = scorecard_row(1, suppliers_today(), counts(on_time_due=400, on_time_ok=400), False)
    short = scorecard_row(1, suppliers_today(), counts(on_time_due=5, on_time_ok=5), False)
    assert long.standing == Standing.EXCELLENT
    assert short.standing == Standing.GOOD  # 100 % of 5 is not yet evidence of excellence


def test_no_activity_is_not_scored_and_stands_new():
    card = scorecard_row(1, suppliers_today(), counts(), False)
    assert card.score is None
    assert card.score_high is None
    assert card.standing == Standing.NEW
    assert all(
        getattr(card, f) is None
        for f in (
            "on_time_score",
            "quality_score",
            "returns_score",
            "return_defects_score",
            "lab_pass_score",
            "corrective_score",
        )
    )
    assert card.on_time_rate is None
    assert card.return_rate is None


def test_the_weights_are_renormalised_over_the_scored_components(settings):
    card = scorecard_row(
        1,
        suppliers_today(),
        counts(on_time_due=50, on_time_ok=50, lab_tests=4, lab_passed=2),
        False,
    )
    on_time = scores(BY_NAME["on_time"], 50, 50)
    lab = scores(BY_NAME["lab_pass"], 4, 2)
    expected = ((30 * on_time[0] + 15 * lab[0]) / 45).quantize(D("0.01"))
    assert card.score == expected
    assert card.quality_score is None  # not scored: weighs nothing
    settings.SCORECARD_WEIGHTS = {**settings.SCORECARD_WEIGHTS, "lab_pass": 0}
    assert overall({"on_time": on_time, "lab_pass": lab})[0] == on_time[0]


def test_corrective_actions_cost_points_once_audited(settings):
    settings.SCORECARD_CORRECTIVE_POINTS = 25
    assert scores(BY_NAME["corrective"], 1, 2) == (D("50.00"), D("50.00"))
    assert scores(BY_NAME["corrective"], 1, 5) == (D("0.00"), D("0.00"))
    assert scores(BY_NAME["corrective"], 0, 2) is None  # never audited: no data


# --- What each source counts, at the window's edges ---------------------------------------------


def test_the_window_is_china_days_ending_with_the_day(settings):
    settings.SCORECARD_WINDOW_DAYS = 30
    start, end = window_of(suppliers_today())
    assert (end - start) == timedelta(days=30)
    assert start.utcoffset() == timedelta(hours=8)
    assert (start.hour, start.minute) == (0, 0)


def test_jit_orders_count_by_their_deadline_in_the_window():
    listing = ListingFactory()
    day = suppliers_today() - timedelta(days=1)  # a whole past day: every deadline has passed
    start, end = window_of(day)

    def order(deadline, shipped=None, **fields):
        fields.setdefault("status", "shipped" if shipped else "awaiting_shipment")
        return jit_order(
            listing,
            external_id=f"J-{JitOrder.objects.count()}",
            ordered_at=deadline - SHIP_WITHIN,
            first_scan_at=shipped,
            **fields,
        )

    order(start, shipped=start - timedelta(hours=1))  # first deadline in: on time
    order(start - timedelta(seconds=1), shipped=start)  # deadline before the window: out
    order(end - timedelta(seconds=1))  # last deadline in, never shipped: late
    order(end, shipped=end)  # deadline after the window (the next day's): out
    order(start + timedelta(days=3), shipped=start + timedelta(days=3, seconds=1))  # late
    order(start + timedelta(days=4), status="cancelled")  # cancelled: not counted
    compute_scorecards(day=day, supplier_ids=[listing.supplier_id])
    card = card_of(listing.supplier, day)
    assert (card.on_time_due, card.on_time_ok) == (3, 1)
    assert card.on_time_rate == D("0.3333")


def test_a_jit_order_not_yet_due_counts_only_once_shipped():
    listing = ListingFactory()
    jit_order(listing, external_id="due-later")  # ordered now: due tomorrow, not shipped
    jit_order(listing, external_id="shipped", status="shipped", first_scan_at=timezone.now())
    compute_scorecards(supplier_ids=[listing.supplier_id])
    card = card_of(listing.supplier)
    assert (card.on_time_due, card.on_time_ok) == (0, 0)  # deadlines tomorrow (China): out
    compute_scorecards(
        day=suppliers_today() + timedelta(days=1), supplier_ids=[listing.supplier_id]
    )
    card = card_of(listing.supplier, suppliers_today() + timedelta(days=1))
    assert (card.on_time_due, card.on_time_ok) == (1, 1)  # only the shipped one is decided


def test_stocking_orders_count_when_shipped_or_lapsed_in_the_window():
    listing = stocked_listing(4, warehouse=WarehouseFactory())  # one order shipped just now
    start, _end = window_of(suppliers_today())
    lapsed = StockingOrder.objects.get(listing=listing)
    for expires, status in ((start, "lapsed"), (start - timedelta(seconds=1), "lapsed")):
        StockingOrder.objects.create(
            supplier=listing.supplier,
            listing=listing,
            warehouse=lapsed.warehouse,
            quantity=5,
            status=status,
            expires_at=expires,
        )
    StockingOrder.objects.create(  # declined: not counted
        supplier=listing.supplier,
        listing=listing,
        warehouse=lapsed.warehouse,
        quantity=5,
        status="declined",
        expires_at=start + timedelta(days=1),
    )
    compute_scorecards(supplier_ids=[listing.supplier_id])
    card = card_of(listing.supplier)
    assert (card.on_time_due, card.on_time_ok) == (2, 1)


def test_quality_counts_original_lot_inspections_in_the_window():
    warehouse = WarehouseFactory()
    listing = stocked_listing()
    start, _end = window_of(suppliers_today())
    lots = [receive_stock(listing, 10, warehouse=warehouse) for _ in range(4)]
    Inspection.objects.filter(pk=lots[0].pk).update(inspected_at=start, result="rejected")
    Inspection.objects.filter(pk=lots[1].pk).update(inspected_at=start - timedelta(seconds=1))
    Inspection.objects.filter(pk=lots[2].pk).update(resubmitted=True)
    compute_scorecards(supplier_ids=[listing.supplier_id])
    card = card_of(listing.supplier)
    assert (card.inspected_lots, card.rejected_lots) == (2, 1)


def test_returns_count_units_sold_and_counted_returns_in_the_window():
    listing = stocked_listing()
    start, _end = window_of(suppliers_today())
    first = sell(listing, 10, at=start)
    sell(listing, 7, at=start - timedelta(seconds=1))  # before the window
    give_back(first, 2, at=start)  # defective: counts
    give_back(first, 1, why="changed_mind")  # a reason that does not count
    give_back(first, 1, status=ReturnRequest.Status.DECLINED)  # declined: does not count
    compute_scorecards(supplier_ids=[listing.supplier_id])
    card = card_of(listing.supplier)
    assert (card.units_sold, card.units_returned) == (10, 2)
    assert card.return_rate == D("0.2000")


def test_defects_of_returns_count_units_inspected_in_the_window():
    listing = stocked_listing()
    start, _end = window_of(suppliers_today())
    order = sell(listing, 10)
    line = give_back(order, 3)
    line.received, line.defective, line.inspected_at = 3, 2, start
    line.save()
    old = give_back(order, 2)
    old.received, old.defective, old.inspected_at = 2, 2, start - timedelta(seconds=1)
    old.save()
    compute_scorecards(supplier_ids=[listing.supplier_id])
    card = card_of(listing.supplier)
    assert (card.returns_inspected, card.returns_defective) == (3, 2)


def test_lab_tests_count_verified_results_issued_in_the_window_days(settings):
    supplier = SupplierFactory()
    day = suppliers_today()
    first_day = day - timedelta(days=settings.SCORECARD_WINDOW_DAYS - 1)
    TestRecordFactory(supplier=supplier, issued_on=first_day)
    TestRecordFactory(supplier=supplier, issued_on=day, result=TestRecord.Result.FAIL)
    TestRecordFactory(supplier=supplier, issued_on=first_day - timedelta(days=1))  # before
    TestRecordFactory(supplier=supplier, issued_on=day, result=TestRecord.Result.INCONCLUSIVE)
    TestRecordFactory(
        supplier=supplier,
        issued_on=day,
        status=TestRecord.Status.UNVERIFIED,
        verified_at=None,
    )
    compute_scorecards(supplier_ids=[supplier.pk])
    card = card_of(supplier)
    assert (card.lab_tests, card.lab_passed) == (2, 1)


def _audit(supplier, on, actions=()):
    audit = Audit.objects.create(
        supplier=supplier,
        auditor="Auditor",
        audited_on=on,
        score=70,
        recorded_by=UserFactory(is_staff=True),
    )
    for status in actions:
        finding = Finding.objects.create(
            audit=audit, severity="major", area="traceability", description="d"
        )
        CorrectiveAction.objects.create(
            finding=finding, supplier=supplier, due_on=on + timedelta(days=30), status=status
        )
    return audit


def test_open_corrective_actions_count_for_an_audited_supplier(settings):
    settings.SCORECARD_CORRECTIVE_POINTS = 25
    audited, unaudited = SupplierFactory(), SupplierFactory()
    _audit(
        audited, suppliers_today() - timedelta(days=200), ["open", "open", "submitted", "closed"]
    )
    compute_scorecards(supplier_ids=[audited.pk, unaudited.pk])
    card = card_of(audited)
    assert (card.audited, card.open_corrective_actions, card.corrective_score) == (True, 2, 50)
    assert card.score == D("50.00")
    assert card.standing == Standing.POOR
    other = card_of(unaudited)
    assert (other.audited, other.corrective_score, other.standing) == (False, None, "new")


def test_an_audit_after_the_day_does_not_count_yet():
    supplier = SupplierFactory()
    _audit(supplier, suppliers_today())
    compute_scorecards(day=suppliers_today() - timedelta(days=1), supplier_ids=[supplier.pk])
    assert card_of(supplier, suppliers_today() - timedelta(days=1)).audited is False


# --- The job -------------------------------------------------------------------------------------


def test_every_trading_supplier_gets_one_scorecard_a_day_and_a_rerun_replaces_it():
    active, suspended = SupplierFactory(), SupplierFactory(status="suspended")
    SupplierFactory(status="applied")
    run = compute_scorecards()
    assert run.suppliers == 2
    compute_scorecards()
    assert set(Scorecard.objects.values_list("supplier_id", flat=True)) == {active.pk, suspended.pk}
    assert Scorecard.objects.count() == 2


def test_a_standing_change_is_told_once():
    supplier = SupplierFactory()
    _audit(supplier, suppliers_today() - timedelta(days=10), ["open"] * 3)  # 25: very poor
    compute_scorecards()
    compute_scorecards()  # the same day again: nothing new to tell
    events = Event.objects.filter(kind="scorecard.standing_changed", supplier=supplier)
    assert [e.payload for e in events] == [
        {"from": "new", "to": "very_poor", "score": "25.00", "day": suppliers_today().isoformat()}
    ]
    CorrectiveAction.objects.filter(supplier=supplier).update(status="closed")
    compute_scorecards(day=suppliers_today() + timedelta(days=1))
    latest = Event.objects.filter(kind="scorecard.standing_changed").latest("pk")
    assert (latest.payload["from"], latest.payload["to"]) == ("very_poor", "excellent")
    assert Event.objects.filter(kind="scorecard.standing_changed").count() == 2


def test_a_supplier_that_stays_new_is_not_told():
    SupplierFactory()
    compute_scorecards()
    assert not Event.objects.filter(kind="scorecard.standing_changed").exists()


def _busy_suppliers(n: int) -> list[int]:
    ids = []
    for _ in range(n):
        listing = ListingFactory()
        jit_order(listing, external_id="Q", ordered_at=timezone.now() - timedelta(days=3))
        TestRecordFactory(supplier=listing.supplier, issued_on=suppliers_today())
        _audit(listing.supplier, suppliers_today() - timedelta(days=5), ["open"])
        ids.append(listing.supplier_id)
    return ids


def test_the_job_costs_the_same_queries_whatever_the_number_of_suppliers():
    _busy_suppliers(2)
    compute_scorecards()  # the content types' cache, the first events
    with CaptureQueriesContext(connection) as few:
        compute_scorecards(day=suppliers_today() - timedelta(days=1))
    _busy_suppliers(6)
    with CaptureQueriesContext(connection) as many:
        compute_scorecards(day=suppliers_today() - timedelta(days=2))
    assert Scorecard.objects.filter(day=suppliers_today() - timedelta(days=2)).count() == 8
    assert len(many) == len(few) <= 18


def test_the_command_computes_and_backfills_as_a_tracked_job():
    supplier = SupplierFactory()
    call_command("compute_scorecards", backfill=2, verbosity=0)
    days = sorted(Scorecard.objects.filter(supplier=supplier).values_list("day", flat=True))
    assert days == [suppliers_today() - timedelta(days=n) for n in (2, 1, 0)]
    runs = JobRun.objects.filter(name="scorecards")
    assert runs.count() == 3
    assert all(r.status == "succeeded" and r.done == 1 for r in runs)


def test_the_nightly_task_runs_the_job():
    from scorecards.tasks import compute_scorecards_task

    SupplierFactory()
    assert "1 scorecards for" in compute_scorecards_task()
    assert JobRun.objects.get(name="scorecards").total == 1


# --- The settings' check -------------------------------------------------------------------------


def test_the_check_refuses_overlapping_bands(settings):
    settings.SCORECARD_STANDINGS = [
        ("very_poor", D("0"), D("50")),
        ("poor", D("40"), D("70")),
        ("good", D("70"), D("90")),
        ("excellent", D("90"), D("100")),
    ]
    errors = check_scorecard_settings()
    assert [e.id for e in errors] == ["scorecards.E001"]
    assert "poor must start where very_poor ends" in errors[0].msg


def test_the_check_refuses_unknown_or_negative_weights(settings):
    settings.SCORECARD_WEIGHTS = {"on_time": 30, "speed": 10, "quality": -5}
    messages = [e.msg for e in check_scorecard_settings()]
    assert any("unknown components ['speed']" in m for m in messages)
    assert any("'quality'" in m and "0 or more" in m for m in messages)


def test_the_shipped_settings_pass_the_check():
    assert check_scorecard_settings() == []
