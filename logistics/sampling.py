"""ISO 2859-1 single sampling at general inspection level II (SPEC, "Rules tables").

`plan(lot_size, aql, severity)` gives the code letter, the sample size and the accept and reject
numbers. The tables are the SPEC's, with the standard's arrows already applied; every row is
pinned by tests/logistics/test_sampling.py. `next_severity` applies the switching rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NORMAL = "normal"
TIGHTENED = "tightened"
DISCONTINUED = "discontinued"

# Table I, general level II: (largest lot size of the row, code letter).
LETTERS: list[tuple[int | None, str]] = [
    (8, "A"),
    (15, "B"),
    (25, "C"),
    (50, "D"),
    (90, "E"),
    (150, "F"),
    (280, "G"),
    (500, "H"),
    (1200, "J"),
    (3200, "K"),
    (10000, "L"),
    (35000, "M"),
    (150000, "N"),
    (500000, "P"),
    (None, "Q"),
]

# (severity, AQL) -> letter -> (sample size, Ac, Re).
_P = tuple[int, int, int]
PLANS: dict[tuple[str, str], dict[str, _P]] = {
    (NORMAL, "2.5"): {
        "A": (5, 0, 1), "B": (5, 0, 1), "C": (5, 0, 1), "D": (5, 0, 1), "E": (20, 1, 2),
        "F": (20, 1, 2), "G": (32, 2, 3), "H": (50, 3, 4), "J": (80, 5, 6), "K": (125, 7, 8),
        "L": (200, 10, 11), "M": (315, 14, 15), "N": (500, 21, 22), "P": (500, 21, 22),
        "Q": (500, 21, 22),
    },
    (NORMAL, "4.0"): {
        "A": (3, 0, 1), "B": (3, 0, 1), "C": (3, 0, 1), "D": (13, 1, 2), "E": (13, 1, 2),
        "F": (20, 2, 3), "G": (32, 3, 4), "H": (50, 5, 6), "J": (80, 7, 8), "K": (125, 10, 11),
        "L": (200, 14, 15), "M": (315, 21, 22), "N": (315, 21, 22), "P": (315, 21, 22),
        "Q": (315, 21, 22),
    },
    (TIGHTENED, "2.5"): {
        "A": (8, 0, 1), "B": (8, 0, 1), "C": (8, 0, 1), "D": (8, 0, 1), "E": (32, 1, 2),
        "F": (32, 1, 2), "G": (32, 1, 2), "H": (50, 2, 3), "J": (80, 3, 4), "K": (125, 5, 6),
        "L": (200, 8, 9), "M": (315, 12, 13), "N": (500, 18, 19), "P": (500, 18, 19),
        "Q": (500, 18, 19),
    },
    (TIGHTENED, "4.0"): {
        "A": (5, 0, 1), "B": (5, 0, 1), "C": (5, 0, 1), "D": (20, 1, 2), "E": (20, 1, 2),
        "F": (20, 1, 2), "G": (32, 2, 3), "H": (50, 3, 4), "J": (80, 5, 6), "K": (125, 8, 9),
        "L": (200, 12, 13), "M": (315, 18, 19), "N": (315, 18, 19), "P": (315, 18, 19),
        "Q": (315, 18, 19),
    },
}  # fmt: skip


@dataclass(frozen=True)
class Plan:
    letter: str
    sample_size: int  # already limited to the lot: every unit when the plan asks for more
    accept: int  # Ac: accept the lot with at most this many defectives
    reject: int  # Re: reject it with at least this many
    severity: str
    aql: str
    full_inspection: bool

    def accepts(self, defects: int) -> bool:
        return defects <= self.accept


def code_letter(lot_size: int) -> str:
    if lot_size < 2:
        raise ValueError("a lot has at least 2 units")
    for upper, letter in LETTERS:
        if upper is None or lot_size <= upper:
            return letter
    raise AssertionError("unreachable")


def plan(lot_size: int, aql: str, severity: str = NORMAL) -> Plan:
    """The single-sampling plan for a lot. A lot of one unit is inspected whole (Ac 0, Re 1)."""
    if severity not in (NORMAL, TIGHTENED):
        raise ValueError(f"no sampling plan for {severity} inspection")
    if lot_size < 2:
        return Plan("A", max(lot_size, 0), 0, 1, severity, aql, True)
    letter = code_letter(lot_size)
    n, ac, re = PLANS[(severity, aql)][letter]
    full = n >= lot_size
    return Plan(letter, min(n, lot_size), ac, re, severity, aql, full)


@dataclass(frozen=True)
class Switch:
    severity: str
    reason: str


def next_severity(severity: str, spell: Sequence[bool]) -> Switch:
    """The severity for the next lot of one supplier and product. `spell` is whether each lot
    was accepted on original inspection (resubmitted lots don't count), oldest first, since the
    current severity began.

    normal -> tightened when 2 of 5 or fewer consecutive lots are not accepted; tightened ->
    normal after 5 consecutive accepted lots; discontinued once 5 lots of a tightened spell are
    not accepted (until an operator records a corrective action and restarts on tightened)."""
    if severity == DISCONTINUED:
        return Switch(DISCONTINUED, "discontinued until an operator records a corrective action")
    if severity == NORMAL:
        if list(spell[-5:]).count(False) >= 2:
            return Switch(TIGHTENED, "2 of the last 5 lots or fewer were not accepted")
        return Switch(NORMAL, "normal inspection")
    if list(spell).count(False) >= 5:
        return Switch(DISCONTINUED, "5 lots not accepted on tightened inspection")
    if len(spell) >= 5 and all(spell[-5:]):
        return Switch(NORMAL, "5 consecutive lots accepted on tightened inspection")
    return Switch(TIGHTENED, "tightened inspection until 5 consecutive lots are accepted")
