"""A customs decision's arithmetic (the steps customs.selectors.judge keeps as data) in the
reader's language, money written as the admin writes it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from marketplace.formatting import money
from marketplace.markets import Market

from ..models import Channel, DeMinimisRule


def _outcome(code: str) -> str:
    try:
        return str(DeMinimisRule.Outcome(code).label)
    except ValueError:
        return code


def _market(code: str) -> str:
    try:
        return str(Market(code).label)
    except ValueError:
        return code


def _channel(code: str) -> str:
    try:
        return str(Channel(code).label)
    except ValueError:
        return code


def step_sentence(step: dict[str, Any], currency: str) -> str:
    """One step as a sentence; `currency` is the decision's (the market's)."""
    code = step.get("step")
    if code == "line_value":
        return _(
            "Item %(item)s (HS %(hs_code)s, made in %(origin)s): %(quantity)s x %(unit)s = "
            "%(value)s."
        ) % {
            "item": step["item"],
            "hs_code": step["hs_code"],
            "origin": step["origin"],
            "quantity": step["quantity"],
            "unit": money(step["unit_value"], currency),
            "value": money(step["value"], currency),
        }
    if code == "customs_value":
        return _("Customs value: %(value)s.") % {"value": money(step["value"], step["currency"])}
    if code == "no_rule":
        return _(
            "No de minimis rule of %(market)s is in force on %(on)s for this channel: the "
            "parcel is entered."
        ) % {"market": _market(step["market"]), "on": step["on"]}
    if code == "rule":
        period = (
            _("from %(start)s to %(end)s") % {"start": step["from"], "end": step["to"]}
            if step.get("to")
            else _("from %(start)s") % {"start": step["from"]}
        )
        scope = _channel(step.get("channel") or "")
        if step.get("origins"):
            scope = _("%(channel)s, goods from %(origins)s") % {
                "channel": scope,
                "origins": step["origins"],
            }
        return _("Rule #%(rule)s of %(market)s (%(scope)s, %(period)s): %(outcome)s.") % {
            "rule": step["rule"],
            "market": _market(step["market"]),
            "scope": scope,
            "period": period,
            "outcome": _outcome(step["outcome"]),
        }
    if code == "no_de_minimis":
        return _("The rule gives no de minimis: the parcel is entered.")
    if code == "excluded_origin":
        return _("Goods from %(origins)s are excluded from de minimis: the parcel is entered.") % {
            "origins": ", ".join(step["origins"])
        }
    if code == "converted":
        return _("%(amount)s at %(rate)s is %(result)s.") % {
            "amount": money(step["amount"], step["from"]),
            "rate": step["rate"],
            "result": money(step["result"], step["to"]),
        }
    if code == "over_duty_threshold":
        if step.get("threshold") is None:
            return _("The rule has no duty threshold: the parcel is entered.")
        return _(
            "%(value)s is over the duty threshold of %(threshold)s: the parcel is entered."
        ) % {
            "value": money(step["value"], step["currency"]),
            "threshold": money(step["threshold"], step["currency"]),
        }
    if code == "within_duty_threshold":
        return _("%(value)s is within the duty threshold of %(threshold)s.") % {
            "value": money(step["value"], step["currency"]),
            "threshold": money(step["threshold"], step["currency"]),
        }
    if code == "not_ioss_registered":
        return _(
            "The seller of record is not registered in IOSS: the rule's treatment at sale does "
            "not apply."
        )
    if code == "flat_duty":
        return _(
            "Flat duty: %(count)s distinct subheading(s) (%(subheadings)s) x %(each)s = %(duty)s."
        ) % {
            "count": len(step["subheadings"]),
            "subheadings": ", ".join(step["subheadings"]),
            "each": money(step["per_subheading"], currency),
            "duty": money(step["duty"], currency),
        }
    if code == "item_duty":
        if step.get("rate") is None:
            rate = _("no duty rate")
        elif step.get("prefix"):
            rate = _("%(rate)s%% (HS %(prefix)s)") % {
                "rate": step["rate"],
                "prefix": step["prefix"],
            }
        else:
            rate = _("%(rate)s%% (the market's default)") % {"rate": step["rate"]}
        for extra in step.get("additional", []):
            rate = _("%(rate)s + %(extra)s%% additional") % {"rate": rate, "extra": extra["rate"]}
        return _("Duty on item %(item)s: %(value)s x %(rate)s = %(duty)s.") % {
            "item": step["item"],
            "value": money(step["value"], currency),
            "rate": rate,
            "duty": money(step["duty"], currency),
        }
    if code == "tax_at_border":
        return _("Tax is due at the border.")
    if code == "within_tax_threshold":
        return _("%(value)s is within the tax threshold of %(threshold)s: no tax.") % {
            "value": money(step["value"], step["currency"]),
            "threshold": money(step["threshold"], step["currency"]),
        }
    if code == "over_tax_threshold":
        return _("%(value)s is over the tax threshold of %(threshold)s: tax is due.") % {
            "value": money(step["value"], step["currency"]),
            "threshold": money(step["threshold"], step["currency"]),
        }
    if code == "tax_from_first_unit":
        return _("The rule gives no tax relief: tax is due from the first unit.")
    if code == "item_tax":
        if step.get("rate") is None:
            return _("Tax on item %(item)s: no tax rate, none due.") % {"item": step["item"]}
        return _("Tax on item %(item)s: %(base)s x %(rate)s%% = %(tax)s.") % {
            "item": step["item"],
            "base": money(step["base"], currency),
            "rate": step["rate"],
            "tax": money(step["tax"], currency),
        }
    if code == "tax_at_sale":
        return _("The tax is collected at sale, not at the border.")
    if code == "total":
        return _("Duty %(duty)s; tax %(tax)s.") % {
            "duty": money(step["duty"], step.get("currency", currency)),
            "tax": money(step["tax"], step.get("currency", currency)),
        }
    return str(code)


def arithmetic_sentences(steps: list[dict[str, Any]], currency: str) -> list[str]:
    return [step_sentence(step, currency) for step in steps]
