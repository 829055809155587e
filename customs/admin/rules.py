"""The customs tables for operators: de minimis rules, duty and tax rates, exchange and freight
rates, each editable, ordered and filtered by market, with the rows in force today marked. A row
is never deleted (a past decision replays with it): it ends by its effective to, and a new row
starts the next day."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.admin_export import export_csv
from marketplace.formatting import money_html

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


@admin.register(DeMinimisRule)
class DeMinimisRuleAdmin(EffectiveRowAdmin):
    form = DeMinimisRuleForm
    list_display = [
        "market",
        "applies_to",
        "outcome",
        "duty_threshold_shown",
        "tax_threshold_shown",
        "flat_duty_shown",
        "tax_at_sale",
        "effective_from",
        "effective_to",
        "in_force_today",
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

    @admin.display(description=_("applies to"), ordering="channel")
    def applies_to(self, rule: DeMinimisRule) -> str:
        """The channel, the origins the row is limited to and those it excludes, on one line."""
        parts = [str(rule.get_channel_display())]
        if rule.origins:
            parts.append(str(_("from %(origins)s") % {"origins": rule.origins}))
        if rule.excluded_origins:
            parts.append(str(_("excluding %(origins)s") % {"origins": rule.excluded_origins}))
        return " · ".join(parts)

    @admin.display(description=_("duty threshold"), ordering="duty_threshold")
    def duty_threshold_shown(self, rule: DeMinimisRule) -> str:
        return money_html(rule.duty_threshold, rule.currency)

    @admin.display(description=_("tax threshold"), ordering="tax_threshold")
    def tax_threshold_shown(self, rule: DeMinimisRule) -> str:
        return money_html(rule.tax_threshold, rule.currency)

    @admin.display(description=_("flat duty per subheading"), ordering="flat_duty")
    def flat_duty_shown(self, rule: DeMinimisRule) -> str:
        return money_html(rule.flat_duty, rule.currency)


@admin.register(DutyRate)
class DutyRateAdmin(EffectiveRowAdmin):
    form = RateForm
    list_display = [
        "market",
        "hs_prefix",
        "origins",
        "rate_percent",
        "additional",
        "effective_from",
        "effective_to",
        "in_force_today",
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
