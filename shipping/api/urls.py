"""Shipping's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import consumer_orders, customs, parcels, tracking

urlpatterns: list[URLPattern] = []
urlpatterns += consumer_orders.urlpatterns
urlpatterns += parcels.urlpatterns
urlpatterns += customs.urlpatterns
urlpatterns += tracking.urlpatterns
