"""The portal's scorecard page."""

from __future__ import annotations

from django.urls import URLPattern

from . import views

urlpatterns: list[URLPattern] = []
urlpatterns += views.urlpatterns
