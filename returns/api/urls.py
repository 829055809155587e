"""Returns's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import chargebacks, return_rates, returns

urlpatterns: list[URLPattern] = []
urlpatterns += returns.urlpatterns
urlpatterns += chargebacks.urlpatterns
urlpatterns += return_rates.urlpatterns
