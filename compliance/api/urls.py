"""Compliance's API routes, each subject's module adding its own."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
