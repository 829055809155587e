"""Shipping's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import customs, tracking

urlpatterns: list[URLPattern] = []
urlpatterns += customs.urlpatterns
urlpatterns += tracking.urlpatterns
