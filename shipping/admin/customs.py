"""Customs decisions for operators, read only (the decisions are written by
shipping.services.customs): the list by outcome and market, and each decision's page with the
rule it used and its arithmetic worded in the reader's language."""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from customs.selectors.wording import arithmetic_sentences
from marketplace.admin_base import ReadOnlyAdmin
from marketplace.admin_export import export_csv
from marketplace.formatting import EMPTY, money, money_html

from ..models import CustomsDecision


@admin.register(CustomsDecision)
class CustomsDecisionAdmin(ReadOnlyAdmin):
    # Four columns, two lines each: the list fits at 1366 px beside the navigation and filters.
    list_display = ["parcel_shown", "outcome_shown", "customs_value_shown", "charges_shown"]
    export_display = [
        "parcel",
        "market",
        "outcome",
        "ship_date",
        "customs_value_shown",
        "duty_shown",
        "tax_shown",
        "tax_at_sale",
        "decided_at",
    ]
    list_filter = ["outcome", "parcel__market", "tax_at_sale", "ship_date"]
    list_select_related = ["parcel"]
    search_fields = ["parcel__tracking_number", "=parcel__id"]
    date_hierarchy = "ship_date"
    actions = [export_csv]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "parcel_link",
                    "market",
                    "ship_date",
                    "outcome",
                    "rule_link",
                    "decided_at",
                ]
            },
        ),
        (
            _("Amounts"),
            {"fields": ["customs_value_shown", "duty_shown", "tax_shown", "tax_at_sale"]},
        ),
        (_("Arithmetic"), {"fields": ["arithmetic_worded"]}),
    ]

    @admin.display(description=_("market"), ordering="parcel__market")
    def market(self, decision: CustomsDecision) -> str:
        return decision.parcel.get_market_display()

    @admin.display(description=_("parcel"), ordering="parcel_id")
    def parcel_shown(self, decision: CustomsDecision) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            decision.parcel,
            decision.parcel.get_market_display(),
        )

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_shown(self, decision: CustomsDecision) -> str:
        return format_html(
            '{}<br><span class="quiet">{}</span>',
            decision.get_outcome_display(),
            _("shipped %(day)s") % {"day": decision.ship_date.isoformat()},
        )

    @admin.display(description=_("duty and tax"), ordering="duty")
    def charges_shown(self, decision: CustomsDecision) -> str:
        """Duty and tax, each whole on its line; "at sale" when the storefront collected it."""
        tax = money(decision.tax, decision.currency)
        if decision.tax_at_sale:
            tax = str(_("%(amount)s (collected at sale)") % {"amount": tax})
        return format_html(
            '<div class="nowrap">{}: {}</div><div class="nowrap quiet">{}: {}</div>',
            _("duty"),
            money(decision.duty, decision.currency),
            _("tax"),
            tax,
        )

    @admin.display(description=_("customs value"), ordering="customs_value")
    def customs_value_shown(self, decision: CustomsDecision) -> str:
        return money_html(decision.customs_value, decision.currency)

    @admin.display(description=_("duty"), ordering="duty")
    def duty_shown(self, decision: CustomsDecision) -> str:
        return money_html(decision.duty, decision.currency)

    @admin.display(description=_("tax"), ordering="tax")
    def tax_shown(self, decision: CustomsDecision) -> str:
        return money_html(decision.tax, decision.currency)

    @admin.display(description=_("parcel"))
    def parcel_link(self, decision: CustomsDecision) -> str:
        try:
            url = reverse("admin:shipping_parcel_change", args=[decision.parcel_id])
        except NoReverseMatch:  # the parcels' screen is another module's
            return str(decision.parcel)
        return format_html('<a href="{}">{}</a>', url, decision.parcel)

    @admin.display(description=_("rule"))
    def rule_link(self, decision: CustomsDecision) -> str:
        if decision.rule is None:
            return str(_("None in force: the parcel is entered."))
        url = reverse("admin:customs_deminimisrule_change", args=[decision.rule_id])
        return format_html('<a href="{}">{}</a>', url, decision.rule)

    @admin.display(description=_("arithmetic"))
    def arithmetic_worded(self, decision: CustomsDecision) -> str:
        sentences = arithmetic_sentences(decision.arithmetic, decision.currency)
        if not sentences:
            return EMPTY
        return format_html(
            '<ol class="customs-arithmetic">{}</ol>',
            format_html_join("", "<li>{}</li>", ((sentence,) for sentence in sentences)),
        )
