"""The compliance pages' routes (inside the portal's namespace), each subject adding its own."""

from __future__ import annotations

from django.urls import URLPattern

from . import audits, cases, overview, sampling, trust

urlpatterns: list[URLPattern] = []
urlpatterns += overview.urlpatterns
urlpatterns += audits.urlpatterns
urlpatterns += sampling.urlpatterns
urlpatterns += cases.urlpatterns
urlpatterns += trust.urlpatterns
