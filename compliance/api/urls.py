"""Compliance's API routes, each subject's module adding its own."""

from __future__ import annotations

from django.urls import URLPattern

from . import audits, enforcement, evidence

urlpatterns: list[URLPattern] = []
urlpatterns += audits.urlpatterns
urlpatterns += enforcement.urlpatterns
urlpatterns += evidence.urlpatterns
