"""ISO 2859-1 sampling plans and switching rules: every row of the SPEC's tables, pinned here by
hand (SPEC, "Rules tables"), at both ends of each lot-size range."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.sampling import (
    DISCONTINUED,
    NORMAL,
    TIGHTENED,
    code_letter,
    next_severity,
    plan,
)

NORMAL_ROWS = [  # (smallest lot, largest lot, letter, AQL 2.5 plan, AQL 4.0 plan)
    (2, 8, "A", (5, 0, 1), (3, 0, 1)),
    (9, 15, "B", (5, 0, 1), (3, 0, 1)),
    (16, 25, "C", (5, 0, 1), (3, 0, 1)),
    (26, 50, "D", (5, 0, 1), (13, 1, 2)),
    (51, 90, "E", (20, 1, 2), (13, 1, 2)),
    (91, 150, "F", (20, 1, 2), (20, 2, 3)),
    (151, 280, "G", (32, 2, 3), (32, 3, 4)),
    (281, 500, "H", (50, 3, 4), (50, 5, 6)),
    (501, 1200, "J", (80, 5, 6), (80, 7, 8)),
    (1201, 3200, "K", (125, 7, 8), (125, 10, 11)),
    (3201, 10000, "L", (200, 10, 11), (200, 14, 15)),
    (10001, 35000, "M", (315, 14, 15), (315, 21, 22)),
    (35001, 150000, "N", (500, 21, 22), (315, 21, 22)),
    (150001, 500000, "P", (500, 21, 22), (315, 21, 22)),
    (500001, None, "Q", (500, 21, 22), (315, 21, 22)),
]
TIGHTENED_ROWS = [
    (2, 8, "A", (8, 0, 1), (5, 0, 1)),
    (9, 15, "B", (8, 0, 1), (5, 0, 1)),
    (16, 25, "C", (8, 0, 1), (5, 0, 1)),
    (26, 50, "D", (8, 0, 1), (20, 1, 2)),
    (51, 90, "E", (32, 1, 2), (20, 1, 2)),
    (91, 150, "F", (32, 1, 2), (20, 1, 2)),
    (151, 280, "G", (32, 1, 2), (32, 2, 3)),
    (281, 500, "H", (50, 2, 3), (50, 3, 4)),
    (501, 1200, "J", (80, 3, 4), (80, 5, 6)),
    (1201, 3200, "K", (125, 5, 6), (125, 8, 9)),
    (3201, 10000, "L", (200, 8, 9), (200, 12, 13)),
    (10001, 35000, "M", (315, 12, 13), (315, 18, 19)),
    (35001, 150000, "N", (500, 18, 19), (315, 18, 19)),
    (150001, 500000, "P", (500, 18, 19), (315, 18, 19)),
    (500001, None, "Q", (500, 18, 19), (315, 18, 19)),
]


def _ends(lo: int, hi: int | None) -> list[int]:
    return [lo, hi] if hi is not None else [lo, lo * 3]


@pytest.mark.parametrize(("severity", "rows"), [(NORMAL, NORMAL_ROWS), (TIGHTENED, TIGHTENED_ROWS)])
def test_every_row_of_the_tables(severity, rows):
    for lo, hi, letter, plan_25, plan_40 in rows:
        for lot in _ends(lo, hi):
            assert code_letter(lot) == letter, lot
            for aql, (n, ac, re) in (("2.5", plan_25), ("4.0", plan_40)):
                got = plan(lot, aql, severity)
                assert (got.letter, got.accept, got.reject) == (letter, ac, re), (lot, aql)
                assert got.sample_size == min(n, lot), (lot, aql)
                assert got.full_inspection == (n >= lot)


def test_the_public_tables_common_mistake_is_not_ours():
    # Letter L at AQL 2.5 is 10/11 (copies often print 21/22).
    assert (plan(5000, "2.5").accept, plan(5000, "2.5").reject) == (10, 11)


def test_small_lots_are_inspected_whole():
    assert plan(3, "2.5").sample_size == 3
    assert plan(3, "2.5").full_inspection
    assert plan(1, "4.0").sample_size == 1


@given(st.integers(min_value=2, max_value=2_000_000), st.sampled_from(["2.5", "4.0"]))
def test_tightened_is_never_looser_than_normal(lot, aql):
    normal, tightened = plan(lot, aql, NORMAL), plan(lot, aql, TIGHTENED)
    assert tightened.accept <= normal.accept
    assert tightened.accept / tightened.sample_size <= normal.accept / normal.sample_size
    assert normal.reject == normal.accept + 1
    assert tightened.reject == tightened.accept + 1


@pytest.mark.parametrize(
    ("severity", "spell", "expected"),
    [
        (NORMAL, [], NORMAL),
        (NORMAL, [False], NORMAL),
        (NORMAL, [False, False], TIGHTENED),
        (NORMAL, [False, True, True, True, False], TIGHTENED),  # 2 of 5
        (NORMAL, [False, True, True, True, True, False], NORMAL),  # 6 apart
        (NORMAL, [True] * 20 + [False, True, False], TIGHTENED),
        (TIGHTENED, [True] * 4, TIGHTENED),
        (TIGHTENED, [True] * 5, NORMAL),
        (TIGHTENED, [False, True, True, True, True, True], NORMAL),
        (TIGHTENED, [False] * 4, TIGHTENED),
        (TIGHTENED, [False, True, False, True, False, False, False], DISCONTINUED),
        (DISCONTINUED, [True] * 9, DISCONTINUED),
    ],
)
def test_switching_rules(severity, spell, expected):
    assert next_severity(severity, spell).severity == expected
