"""The forms of the consignment pages: the stocking order and shipment filters, declining an order
and answering it with an inbound shipment."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from logistics.models import (
    Carrier,
    InboundShipment,
    PickupCluster,
    StockingOrder,
)
from logistics.services.inbound.common import MAX_UNITS

SO = StockingOrder.Status
IS = InboundShipment.Status


class StockingFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *SO.choices],
    )


class ShipmentFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("All states")), *IS.choices],
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you decline?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(forms.Form):
    # Not required here: the service says a cancellation needs a reason, on this field.
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel the shipment?"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"size": 40}),
    )


class SendForm(forms.Form):
    """The inbound shipment notice for an accepted stocking order (its one listing)."""

    CARRIER = "carrier"
    PICKUP = "pickup"

    declared = forms.IntegerField(
        label=gettext_lazy("Units in this shipment"), min_value=1, max_value=MAX_UNITS
    )
    method = forms.ChoiceField(
        label=gettext_lazy("How the goods travel"),
        widget=forms.RadioSelect,
        initial=CARRIER,
    )
    carrier = forms.ChoiceField(
        label=gettext_lazy("Carrier"),
        required=False,
        choices=[("", gettext_lazy("Choose the carrier")), *Carrier.choices],
    )
    waybill = forms.CharField(label=gettext_lazy("Waybill"), max_length=40, required=False)

    def __init__(
        self, *args: Any, order: StockingOrder, cluster: PickupCluster | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declared"].initial = order.quantity
        self.fields["declared"].help_text = _("The stocking order asks for %(n)d units.") % {
            "n": order.quantity
        }
        self.fields["waybill"].widget.attrs.update(
            {"placeholder": "SF1234567890", "autocomplete": "off", "spellcheck": "false"}
        )
        choices: list[tuple[str, str]] = [(self.CARRIER, _("By a carrier I book"))]
        if cluster is not None:
            choices.append(
                (
                    self.PICKUP,
                    _("Request a circular pickup (%(cluster)s)") % {"cluster": cluster.name},
                )
            )
        cast(forms.ChoiceField, self.fields["method"]).choices = choices

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("method") == self.CARRIER:
            # The portal has no later door to add a waybill: a carrier notice needs both now.
            if not cleaned.get("carrier"):
                self.add_error("carrier", _("Choose the carrier, or ask for a pickup."))
            if not (cleaned.get("waybill") or "").strip():
                self.add_error("waybill", _("Enter the carrier's waybill, or ask for a pickup."))
        return cleaned
