"""The portal's returns pages, each module adding its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import rates, views

urlpatterns: list[URLPattern] = []
urlpatterns += views.urlpatterns
urlpatterns += rates.urlpatterns
