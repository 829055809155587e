"""The portal's shipping pages, each module adding its own routes."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
