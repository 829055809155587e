"""Shipping's API: each subject's module adds its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from . import consumer_orders, parcels

urlpatterns: list[URLPattern] = []
urlpatterns += consumer_orders.urlpatterns
urlpatterns += parcels.urlpatterns
