"""The customs tables for operators: de minimis rules, duty and tax rates, exchange and freight
rates, each editable, ordered and filtered by market, with the rows in force today marked. A row
is never deleted (a past decision replays with it): it ends by its effective to, and a new row
starts the next day."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from marketplace.admin_export import export_csv
from marketplace.formatting import money, money_html

from ..models import DeMinimisRule, DutyRate, ExchangeRate, FreightRate, TaxRate

COUNTRY = re.compile(r"^[A-Z]{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def _countries(value: str, *, star: bool = False) -> str:
    """ "cn, hk" -> "CN,HK"; each an ISO 3166 alpha-2 code ("*" alone when `star`)."""
    codes = [code.strip().upper() for code in value.split(",") if code.strip()]
    if star and codes == ["*"]:
        return "*"
    wrong = [code for code in codes if not COUNTRY.match(code)]
    if wrong:
        raise forms.ValidationError(
            _("Not ISO 3166 alpha-2 country codes: %(codes)s.") % {"codes": ", ".join(wrong)}
        )
    return ",".join(codes)


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not CURRENCY.match(code):
        raise forms.ValidationError(_("An ISO 4217 currency code of three letters, e.g. EUR."))
    return code


def _hs_prefix(value: str) -> str:
    prefix = value.strip()
    if prefix and not (prefix.isdigit() and len(prefix) in (2, 4, 6)):
        raise forms.ValidationError(_("Blank, or 2, 4 or 6 digits of an HS code."))
    return prefix


class DeMinimisRuleForm(forms.ModelForm):
    class Meta:
        model = DeMinimisRule
        fields = [
            "market",
            "channel",
            "origins",
            "excluded_origins",
            "outcome",
            "currency",
            "duty_threshold",
            "tax_threshold",
            "flat_duty",
            "requires_ioss",
            "tax_at_sale",
            "effective_from",
            "effective_to",
            "source",
            "note",
        ]

    def clean_origins(self) -> str:
        return _countries(self.cleaned_data["origins"])

    def clean_excluded_origins(self) -> str:
        return _countries(self.cleaned_data["excluded_origins"], star=True)

    def clean_currency(self) -> str:
        return _currency(self.cleaned_data["currency"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome == DeMinimisRule.Outcome.FLAT_PER_SUBHEADING and data.get("flat_duty") is None:
            self.add_error("flat_duty", _("A flat duty rule needs its duty per subheading."))
        if outcome == DeMinimisRule.Outcome.FLAT_PER_SUBHEADING and (
            data.get("duty_threshold") is None
        ):
            self.add_error(
                "duty_threshold", _("A flat duty rule needs the value it applies up to.")
            )
        return data


class RateForm(forms.ModelForm):
    def clean_hs_prefix(self) -> str:
        return _hs_prefix(self.cleaned_data["hs_prefix"])

    def clean_origins(self) -> str:
        return _countries(self.cleaned_data["origins"])


class ExchangeRateForm(forms.ModelForm):
    class Meta:
        model = ExchangeRate
        fields = ["base", "quote", "rate", "effective_from", "source"]

    def clean_base(self) -> str:
        return _currency(self.cleaned_data["base"])

    def clean_quote(self) -> str:
        return _currency(self.cleaned_data["quote"])


def _today() -> date:
    return timezone.localdate()


def _in_force(row: Any, today: date) -> bool:
    return row.effective_from <= today and (row.effective_to is None or row.effective_to >= today)


class InForceFilter(admin.SimpleListFilter):
    """Rows in force today, or not (ended, or not begun)."""

    title = _("in force today")
    parameter_name = "in_force"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = _today()
        in_force = Q(effective_from__lte=today) & (
            Q(effective_to__isnull=True) | Q(effective_to__gte=today)
        )
        if self.value() == "yes":
            return queryset.filter(in_force)
        if self.value() == "no":
            return queryset.exclude(in_force)
        return queryset


class EffectiveRowAdmin(admin.ModelAdmin):
    """Rows end (effective to), they are not deleted: past decisions replay with them."""

    list_filter = ["market", InForceFilter]
    actions = [export_csv]
    list_per_page = 100

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("in force today"), boolean=True)
    def in_force_today(self, row: Any) -> bool:
        return _in_force(row, _today())


# The origins a row names, in words (the admin says "from Mexico", not "from MX"); a code not
# here is shown as it is.
COUNTRY_NAMES = {
    "AU": _("Australia"),
    "CA": _("Canada"),
    "CN": _("China"),
    "GB": _("United Kingdom"),
    "HK": _("Hong Kong"),
    "JP": _("Japan"),
    "MO": _("Macao"),
    "MX": _("Mexico"),
    "TW": _("Taiwan"),
    "US": _("United States"),
}
LIST_SEPARATOR = ", "


def countries_in_words(codes: str) -> str:
    """ "US,MX" -> "United States, Mexico"; "*" -> "all origins"."""
    if codes.strip() == "*":
        return str(_("all origins"))
    names = [
        str(COUNTRY_NAMES.get(code.strip(), code.strip()))
        for code in codes.split(",")
        if code.strip()
    ]
    return LIST_SEPARATOR.join(names)


def percent(value: Decimal) -> str:
    """Decimal("16.500") -> "16.5"; Decimal("5.000") -> "5"."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _day(value: date | None) -> str:
    """A row's day as 2026-07-01: short, and the same in every language."""
    return value.isoformat() if value else "…"


def _period(row: Any) -> str:
    """ "2021-07-01 - …" on one line (an en dash between)."""
    return format_html(
        '<span class="nowrap">{} \N{EN DASH} {}</span>',
        _day(row.effective_from),
        _day(row.effective_to),
    )


# The outcome in a word or two for the list (the page says it in full).
OUTCOME_SHORT: dict[str, Any] = {
    DeMinimisRule.Outcome.RELIEF: _("relief up to the thresholds"),
    DeMinimisRule.Outcome.FLAT_PER_SUBHEADING: _("flat duty per subheading"),
    DeMinimisRule.Outcome.NONE: _("no de minimis"),
}


@admin.register(DeMinimisRule)
class DeMinimisRuleAdmin(EffectiveRowAdmin):
    form = DeMinimisRuleForm
    # Four narrow columns (the list fits at 1366 px with the sidebar and the filters open).
    list_display = ["rule", "outcome_shown", "period", "in_force_today"]
    export_display = [
        "market",
        "channel",
        "origins",
        "excluded_origins",
        "outcome",
        "currency",
        "duty_threshold",
        "tax_threshold",
        "flat_duty",
        "tax_at_sale",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["market", "outcome", "channel", InForceFilter]
    search_fields = ["source", "note", "origins", "excluded_origins"]
    ordering = ["market", "-effective_from", "channel", "origins", "id"]
    fieldsets = [
        (None, {"fields": ["market", "channel", "origins", "excluded_origins", "outcome"]}),
        (
            _("Thresholds"),
            {
                "fields": [
                    "currency",
                    "duty_threshold",
                    "tax_threshold",
                    "flat_duty",
                    "requires_ioss",
                    "tax_at_sale",
                ]
            },
        ),
        (_("In force"), {"fields": ["effective_from", "effective_to", "source", "note"]}),
    ]

    @admin.display(description=_("market"), ordering="market")
    def rule(self, rule: DeMinimisRule) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>', rule.get_market_display(), self.applies_to(rule)
        )

    @admin.display(description=_("applies to"), ordering="channel")
    def applies_to(self, rule: DeMinimisRule) -> str:
        """The channel, the origins the row is limited to and those it excludes, on one line."""
        parts = [str(rule.get_channel_display())]
        if rule.origins:
            parts.append(str(_("from %(origins)s") % {"origins": countries_in_words(rule.origins)}))
        if rule.excluded_origins:
            parts.append(
                str(
                    _("excluding %(origins)s")
                    % {"origins": countries_in_words(rule.excluded_origins)}
                )
            )
        return " · ".join(parts)

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_shown(self, rule: DeMinimisRule) -> str:
        """The outcome, and under it its amounts: each kept whole on its line."""
        amounts = []
        if rule.duty_threshold is not None:
            amounts.append((_("duty threshold"), money(rule.duty_threshold, rule.currency)))
        if rule.tax_threshold is not None:
            amounts.append((_("tax threshold"), money(rule.tax_threshold, rule.currency)))
        if rule.flat_duty is not None:
            amounts.append((_("flat duty per subheading"), money(rule.flat_duty, rule.currency)))
        lines = format_html_join(
            "", '<div class="quiet">{}: <span class="money">{}</span></div>', amounts
        )
        sale = (
            format_html('<div class="quiet">{}</div>', _("tax collected at sale"))
            if rule.tax_at_sale
            else ""
        )
        return format_html(
            "{}{}{}", OUTCOME_SHORT.get(rule.outcome, rule.get_outcome_display()), lines, sale
        )

    @admin.display(description=_("in force"), ordering="effective_from")
    def period(self, rule: DeMinimisRule) -> str:
        return _period(rule)


@admin.register(DutyRate)
class DutyRateAdmin(EffectiveRowAdmin):
    form = RateForm
    list_display = ["rate_shown", "period", "in_force_today"]
    export_display = [
        "market",
        "hs_prefix",
        "origins",
        "rate_percent",
        "additional",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["market", "additional", InForceFilter]
    search_fields = ["hs_prefix", "source"]
    ordering = ["market", "hs_prefix", "additional", "-effective_from", "id"]
    fields = [
        "market",
        "hs_prefix",
        "origins",
        "rate_percent",
        "additional",
        "effective_from",
        "effective_to",
        "source",
    ]

    @admin.display(description=_("duty rate"), ordering="market")
    def rate_shown(self, rate: DutyRate) -> str:
        """ "European Union · 6403: 8 %", and under it the origins and the surcharge mark."""
        notes = []
        if rate.origins:
            notes.append(str(_("from %(origins)s") % {"origins": countries_in_words(rate.origins)}))
        if rate.additional:
            notes.append(str(_("additional (surcharge)")))
        return format_html(
            '{} · {}: {} %<br><span class="quiet">{}</span>',
            rate.get_market_display(),
            rate.hs_prefix or _("any HS code"),
            percent(rate.rate_percent),
            " · ".join(notes),
        )

    @admin.display(description=_("in force"), ordering="effective_from")
    def period(self, rate: DutyRate) -> str:
        return _period(rate)


@admin.register(TaxRate)
class TaxRateAdmin(EffectiveRowAdmin):
    form = RateForm
    list_display = [
        "market",
        "hs_prefix",
        "rate_percent",
        "effective_from",
        "effective_to",
        "in_force_today",
    ]
    search_fields = ["hs_prefix", "source"]
    ordering = ["market", "hs_prefix", "-effective_from", "id"]
    fields = ["market", "hs_prefix", "rate_percent", "effective_from", "effective_to", "source"]


@admin.register(FreightRate)
class FreightRateAdmin(EffectiveRowAdmin):
    list_display = ["market", "per_kg_shown", "effective_from", "effective_to", "in_force_today"]
    ordering = ["market", "-effective_from", "id"]
    fields = ["market", "per_kg_cny", "effective_from", "effective_to"]

    @admin.display(description=_("per kg"), ordering="per_kg_cny")
    def per_kg_shown(self, rate: FreightRate) -> str:
        return money_html(rate.per_kg_cny, "CNY")


class CurrencyFilter(admin.SimpleListFilter):
    """A pair's rows by either of its currencies."""

    title = _("currency")
    parameter_name = "currency"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        found = set(ExchangeRate.objects.values_list("base", flat=True).distinct())
        found |= set(ExchangeRate.objects.values_list("quote", flat=True).distinct())
        return [(code, code) for code in sorted(found)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(Q(base=self.value()) | Q(quote=self.value()))
        return queryset


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    """A pair's rate holds from its day until the pair's next row: the one in force today is the
    latest on or before today."""

    form = ExchangeRateForm
    list_display = ["base", "quote", "rate", "effective_from", "in_force_today"]
    list_filter = [CurrencyFilter]
    search_fields = ["base", "quote", "source"]
    ordering = ["base", "quote", "-effective_from"]
    fields = ["base", "quote", "rate", "effective_from", "source"]
    actions = [export_csv]
    list_per_page = 100

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ExchangeRate]:
        latest = (
            ExchangeRate.objects.filter(
                base=OuterRef("base"), quote=OuterRef("quote"), effective_from__lte=_today()
            )
            .order_by("-effective_from")
            .values("pk")[:1]
        )
        return super().get_queryset(request).annotate(current_id=Subquery(latest))

    @admin.display(description=_("in force today"), boolean=True)
    def in_force_today(self, rate: ExchangeRate) -> bool:
        return rate.pk == getattr(rate, "current_id", None)
