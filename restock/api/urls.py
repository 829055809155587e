"""Restock's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import proposals, signals

urlpatterns: list[URLPattern] = []
urlpatterns += signals.urlpatterns
urlpatterns += proposals.urlpatterns
