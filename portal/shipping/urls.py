"""The portal's shipping pages, each module adding its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import parcels

urlpatterns: list[URLPattern] = []
urlpatterns += parcels.urlpatterns
