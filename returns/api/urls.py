"""Returns's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import return_rates

urlpatterns: list[URLPattern] = []
urlpatterns += return_rates.urlpatterns
