"""Compliance's API routes, each subject's module adding its own."""

from __future__ import annotations

from django.urls import URLPattern

from . import answer, audits, enforcement

urlpatterns: list[URLPattern] = []
urlpatterns += answer.urlpatterns
urlpatterns += audits.urlpatterns
urlpatterns += enforcement.urlpatterns
