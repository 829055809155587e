"""Customs's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import rules

urlpatterns: list[URLPattern] = []
urlpatterns += rules.urlpatterns
