"""The public trust pages (no login), included by the root URLconf under /trust/."""

from __future__ import annotations

from django.urls import path

from . import trust

app_name = "trust"

urlpatterns = [
    path("<str:token>/", trust.trust_page, name="page"),
    path("<str:token>/qr.svg", trust.trust_qr, name="qr"),
    path("<str:token>/picture", trust.trust_picture, name="picture"),
]
