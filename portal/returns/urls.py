"""The portal's returns pages, each module adding its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import views

urlpatterns: list[URLPattern] = []
urlpatterns += views.urlpatterns
