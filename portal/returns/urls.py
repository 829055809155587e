"""The portal's returns pages, each module adding its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import rates

urlpatterns: list[URLPattern] = []
urlpatterns += rates.urlpatterns
