"""The forecasting methods' codes and their names in words.

The codes are stored on forecasts and proposals and kept as they are in the API;
restock.services.forecasting chooses among them. Pages and the admin show the words (in the
active language). A module of its own, free of Django's app registry, so that the forecasting
module (run by the benchmark without Django set up), the selectors and the admin can all read it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SES = "SESOpt"
SEASONAL_ES = "SeasESOpt"
CROSTON_SBA = "CrostonSBA"
ADIDA_METHOD = "ADIDA"
HISTORIC_AVERAGE = "HistoricAverage"
NO_DEMAND = "none"

METHOD_LABELS = {
    SES: _("exponential smoothing"),
    SEASONAL_ES: _("weekly seasonal exponential smoothing"),
    CROSTON_SBA: _("Croston SBA"),
    ADIDA_METHOD: _("ADIDA (aggregate, forecast, spread back)"),
    HISTORIC_AVERAGE: _("historic average"),
    NO_DEMAND: _("no demand"),
}
