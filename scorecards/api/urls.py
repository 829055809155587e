"""Scorecards' API."""

from __future__ import annotations

from django.urls import URLPattern

from . import scorecards

urlpatterns: list[URLPattern] = []
urlpatterns += scorecards.urlpatterns
