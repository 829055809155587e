"""The customs judgement (SPEC, "Customs and de minimis"): how a parcel enters its market by the
rows in force on its ship date. Pure: it takes facts (market, channel, items with their HS code,
origin, quantity and value in the market's currency, the ship date, whether the seller of record
is registered in IOSS) and returns an answer with its arithmetic as data; it knows no parcel.

How a parcel is judged:
1. its customs value: the sum of quantity x unit value over its items;
2. the de minimis rule: among the market's rows in force on the day, those for its channel or
   any channel and, when limited to some origins, only when every item comes from them; a
   channel-specific row beats an any-channel one, an origin-limited row beats one for any
   origin. No rule, a rule with outcome `none`, or an item from an excluded origin: an entry;
3. within the rule's duty threshold (inclusive; in the rule's currency): no duty (`relief`), or
   the flat duty per distinct 6-digit subheading (`flat_per_subheading`, for a seller registered
   in IOSS; one who is not is entered); over it: an entry;
4. an entry's duty, per item: its value x (the most specific base duty rate: the 6-digit
   subheading's, then the chapter's, then the market's blank row) + every `additional` row that
   matches (a surcharge such as the US Section 122 10%);
5. the tax, per item: (value + duty) x the most specific tax rate, unless the parcel is within
   the rule's tax threshold; collected at sale (not at the border) when the rule says so and
   the parcel is within the rule (and, where the rule requires it, the seller is in IOSS).
Each amount is rounded half up to the currency's smallest unit.

`rulebook_on(day, markets)` loads the rows in force once (three queries); `judge(facts, book)`
answers from it, so many parcels of a day are judged with no further query."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from marketplace.markets import MARKET_CURRENCY

from ..models import DeMinimisRule, DutyRate, TaxRate
from .rates import rate_on, round_money

HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
ALL_ORIGINS = "*"


class Outcome(StrEnum):
    """What the parcel gets (shipping.CustomsDecision.Outcome has the same values)."""

    DE_MINIMIS = "de_minimis"
    FLAT_DUTY = "flat_duty"
    ENTRY = "entry"


@dataclass(frozen=True)
class ItemFacts:
    hs_code: str
    origin: str
    quantity: int
    # In the market's currency.
    unit_value: Decimal


@dataclass(frozen=True)
class ParcelFacts:
    market: str
    channel: str  # postal | courier
    items: Sequence[ItemFacts]
    ship_date: date
    ioss_registered: bool
    country: str = ""


@dataclass(frozen=True)
class CustomsAnswer:
    outcome: Outcome
    currency: str
    customs_value: Decimal
    duty: Decimal
    tax: Decimal
    tax_at_sale: bool
    rule: DeMinimisRule | None
    # The arithmetic as data: [{"step": code, ...}], worded by customs.selectors.wording.
    steps: list[dict[str, Any]]

    @property
    def rule_id(self) -> int | None:
        return self.rule.pk if self.rule is not None else None


def codes(text: str) -> set[str]:
    """ "CN, hk" -> {"CN", "HK"}: a row's comma-separated countries."""
    return {code.strip().upper() for code in text.split(",") if code.strip()}


def hs_digits(hs_code: str) -> str:
    return "".join(ch for ch in hs_code if ch.isdigit())


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _rate_text(rate: Decimal) -> str:
    """16.500 -> "16.5", 10.000 -> "10"."""
    return f"{rate.normalize():f}"


@dataclass
class RuleBook:
    """The rows in force on one day, for some markets, loaded once."""

    day: date
    rules: dict[str, list[DeMinimisRule]] = field(default_factory=dict)
    duties: dict[str, list[DutyRate]] = field(default_factory=dict)
    taxes: dict[str, list[TaxRate]] = field(default_factory=dict)
    _rates: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    # The rows matching an HS code (and origin) are the same for every parcel of the day.
    _duty_rows: dict[tuple[str, str, str], tuple[DutyRate | None, list[DutyRate]]] = field(
        default_factory=dict
    )
    _tax_rows: dict[tuple[str, str], TaxRate | None] = field(default_factory=dict)

    def rate(self, base: str, quote: str) -> Decimal:
        """The day's exchange rate (DomainError `no_exchange_rate` when the table has none)."""
        if (base, quote) not in self._rates:
            self._rates[base, quote] = rate_on(base, quote, self.day)
        return self._rates[base, quote]

    def duty_rows(
        self, market: str, hs_code: str, origin: str
    ) -> tuple[DutyRate | None, list[DutyRate]]:
        key = (market, hs_code, origin)
        if key not in self._duty_rows:
            self._duty_rows[key] = duty_rates_for(self.duties.get(market, []), hs_code, origin)
        return self._duty_rows[key]

    def tax_row(self, market: str, hs_code: str) -> TaxRate | None:
        if (market, hs_code) not in self._tax_rows:
            self._tax_rows[market, hs_code] = tax_rate_for(self.taxes.get(market, []), hs_code)
        return self._tax_rows[market, hs_code]


def rulebook_on(day: date, markets: Iterable[str] | None = None) -> RuleBook:
    """The de minimis rules, duty and tax rates in force on `day` (all markets when None)."""
    book = RuleBook(day)
    for model, into in (
        (DeMinimisRule, book.rules),
        (DutyRate, book.duties),
        (TaxRate, book.taxes),
    ):
        rows = model.objects.in_force(day)
        if markets is not None:
            rows = rows.filter(market__in=list(markets))
        grouped: dict[str, list[Any]] = defaultdict(list)
        for row in rows.order_by("id"):
            grouped[row.market].append(row)
        into.update(grouped)
    return book


def rule_for(
    rules: Iterable[DeMinimisRule], channel: str, origins: set[str]
) -> DeMinimisRule | None:
    """The market's rule for a parcel of this channel whose items come from `origins`."""
    fitting = [
        rule
        for rule in rules
        if rule.channel in ("", channel) and (not rule.origins or origins <= codes(rule.origins))
    ]
    return max(
        fitting,
        key=lambda rule: (rule.channel != "", bool(rule.origins), rule.effective_from, rule.pk),
        default=None,
    )


def duty_rates_for(
    rows: Iterable[DutyRate], hs_code: str, origin: str
) -> tuple[DutyRate | None, list[DutyRate]]:
    """The most specific base row for the item, and the additional rows matching it."""
    digits = hs_digits(hs_code)
    matching = [
        row
        for row in rows
        if digits.startswith(row.hs_prefix) and (not row.origins or origin in codes(row.origins))
    ]
    base = max(
        (row for row in matching if not row.additional),
        key=lambda row: (len(row.hs_prefix), bool(row.origins), row.effective_from, row.pk),
        default=None,
    )
    return base, sorted((row for row in matching if row.additional), key=lambda row: row.pk)


def tax_rate_for(rows: Iterable[TaxRate], hs_code: str) -> TaxRate | None:
    digits = hs_digits(hs_code)
    return max(
        (row for row in rows if digits.startswith(row.hs_prefix)),
        key=lambda row: (len(row.hs_prefix), row.effective_from, row.pk),
        default=None,
    )


def customs_judge(facts: ParcelFacts) -> CustomsAnswer:
    """One parcel, with the rows of its market in force on its ship date."""
    return judge(facts, rulebook_on(facts.ship_date, [facts.market]))


def judge(facts: ParcelFacts, book: RuleBook) -> CustomsAnswer:
    """The answer for one parcel from the rows loaded in `book` (its ship date's)."""
    currency = MARKET_CURRENCY[facts.market]
    steps: list[dict[str, Any]] = []
    lines: list[Decimal] = []
    for number, item in enumerate(facts.items, 1):
        line = round_money(item.unit_value * item.quantity, currency)
        lines.append(line)
        steps.append(
            {
                "step": "line_value",
                "item": number,
                "hs_code": item.hs_code,
                "origin": item.origin,
                "quantity": item.quantity,
                "unit_value": str(item.unit_value),
                "value": str(line),
            }
        )
    value = sum(lines, ZERO)
    steps.append({"step": "customs_value", "value": str(value), "currency": currency})
    judging = _Judging(facts, book, currency, lines, value, steps)

    origins = {item.origin.upper() for item in facts.items}
    rule = rule_for(book.rules.get(facts.market, []), facts.channel, origins)
    if rule is None:
        steps.append(
            {
                "step": "no_rule",
                "market": facts.market,
                "channel": facts.channel,
                "on": facts.ship_date.isoformat(),
            }
        )
        return judging.entry(None)
    steps.append(
        {
            "step": "rule",
            "rule": rule.pk,
            "market": rule.market,
            "outcome": rule.outcome,
            "channel": rule.channel,
            "origins": rule.origins,
            "from": rule.effective_from.isoformat(),
            "to": rule.effective_to.isoformat() if rule.effective_to else None,
        }
    )
    if rule.outcome == DeMinimisRule.Outcome.NONE:
        steps.append({"step": "no_de_minimis"})
        return judging.entry(rule)
    excluded = codes(rule.excluded_origins)
    hit = sorted(origins if ALL_ORIGINS in excluded else origins & excluded)
    if hit:
        steps.append({"step": "excluded_origin", "origins": hit})
        return judging.entry(rule)

    rule_value = judging.in_currency(value, currency, rule.currency)
    threshold = rule.duty_threshold
    if threshold is None or rule_value > threshold:
        steps.append(
            {
                "step": "over_duty_threshold",
                "value": str(rule_value),
                "threshold": _text(threshold),
                "currency": rule.currency,
            }
        )
        return judging.entry(rule)
    steps.append(
        {
            "step": "within_duty_threshold",
            "value": str(rule_value),
            "threshold": str(threshold),
            "currency": rule.currency,
        }
    )
    in_ioss = not rule.requires_ioss or facts.ioss_registered
    if not in_ioss:
        steps.append({"step": "not_ioss_registered"})

    duties = [ZERO] * len(facts.items)
    outcome = Outcome.DE_MINIMIS
    if rule.outcome == DeMinimisRule.Outcome.FLAT_PER_SUBHEADING:
        if not in_ioss:
            return judging.entry(rule)
        duties = judging.flat_duties(rule)
        outcome = Outcome.FLAT_DUTY

    tax_threshold = rule.tax_threshold
    if tax_threshold is not None and rule_value <= tax_threshold:
        steps.append(
            {
                "step": "within_tax_threshold",
                "value": str(rule_value),
                "threshold": str(tax_threshold),
                "currency": rule.currency,
            }
        )
        tax = ZERO
    else:
        if tax_threshold is None:
            steps.append({"step": "tax_from_first_unit"})
        else:
            steps.append(
                {
                    "step": "over_tax_threshold",
                    "value": str(rule_value),
                    "threshold": str(tax_threshold),
                    "currency": rule.currency,
                }
            )
        tax = judging.taxes(duties)
    at_sale = rule.tax_at_sale and in_ioss
    return judging.answer(outcome, rule, duties, tax, at_sale)


@dataclass
class _Judging:
    """One parcel's judgement under way: its facts, its line values and the steps so far."""

    facts: ParcelFacts
    book: RuleBook
    currency: str
    lines: list[Decimal]
    value: Decimal
    steps: list[dict[str, Any]]

    def in_currency(self, amount: Decimal, base: str, quote: str) -> Decimal:
        if base == quote:
            return amount
        rate = self.book.rate(base, quote)
        converted = round_money(amount * rate, quote)
        self.steps.append(
            {
                "step": "converted",
                "amount": str(amount),
                "from": base,
                "to": quote,
                "rate": str(rate),
                "result": str(converted),
            }
        )
        return converted

    def entry(self, rule: DeMinimisRule | None) -> CustomsAnswer:
        duties: list[Decimal] = []
        for number, (item, line) in enumerate(zip(self.facts.items, self.lines, strict=True), 1):
            base, additional = self.book.duty_rows(
                self.facts.market, item.hs_code, item.origin.upper()
            )
            rate = (base.rate_percent if base else Decimal(0)) + sum(
                (row.rate_percent for row in additional), Decimal(0)
            )
            duty = round_money(line * rate / HUNDRED, self.currency)
            duties.append(duty)
            self.steps.append(
                {
                    "step": "item_duty",
                    "item": number,
                    "hs_code": item.hs_code,
                    "value": str(line),
                    "prefix": base.hs_prefix if base else None,
                    "rate": _rate_text(base.rate_percent) if base else None,
                    "additional": [
                        {"prefix": row.hs_prefix, "rate": _rate_text(row.rate_percent)}
                        for row in additional
                    ],
                    "duty": str(duty),
                }
            )
        self.steps.append({"step": "tax_at_border"})
        tax = self.taxes(duties)
        return self.answer(Outcome.ENTRY, rule, duties, tax, at_sale=False)

    def flat_duties(self, rule: DeMinimisRule) -> list[Decimal]:
        """The flat duty once per distinct 6-digit subheading, carried by its first item."""
        assert rule.flat_duty is not None
        per_subheading = self.in_currency(rule.flat_duty, rule.currency, self.currency)
        duties: list[Decimal] = []
        seen: list[str] = []
        for item in self.facts.items:
            subheading = hs_digits(item.hs_code)[:6]
            if subheading in seen:
                duties.append(ZERO)
            else:
                seen.append(subheading)
                duties.append(per_subheading)
        self.steps.append(
            {
                "step": "flat_duty",
                "subheadings": seen,
                "per_subheading": str(per_subheading),
                "duty": str(sum(duties, ZERO)),
            }
        )
        return duties

    def taxes(self, duties: list[Decimal]) -> Decimal:
        total = ZERO
        for number, (item, line, duty) in enumerate(
            zip(self.facts.items, self.lines, duties, strict=True), 1
        ):
            row = self.book.tax_row(self.facts.market, item.hs_code)
            rate = row.rate_percent if row else Decimal(0)
            tax = round_money((line + duty) * rate / HUNDRED, self.currency)
            total += tax
            self.steps.append(
                {
                    "step": "item_tax",
                    "item": number,
                    "base": str(line + duty),
                    "rate": _rate_text(rate) if row else None,
                    "tax": str(tax),
                }
            )
        return total

    def answer(
        self,
        outcome: Outcome,
        rule: DeMinimisRule | None,
        duties: list[Decimal],
        tax: Decimal,
        at_sale: bool,
    ) -> CustomsAnswer:
        duty = sum(duties, ZERO)
        if at_sale:
            self.steps.append({"step": "tax_at_sale"})
        self.steps.append(
            {"step": "total", "duty": str(duty), "tax": str(tax), "currency": self.currency}
        )
        return CustomsAnswer(
            outcome=outcome,
            currency=self.currency,
            customs_value=self.value,
            duty=duty,
            tax=tax,
            tax_at_sale=at_sale,
            rule=rule,
            steps=self.steps,
        )
