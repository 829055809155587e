"""Returns's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import chargebacks, returns

urlpatterns: list[URLPattern] = []
urlpatterns += returns.urlpatterns
urlpatterns += chargebacks.urlpatterns
