from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from .dashboard import dashboard_figures


class BackOfficeAdminSite(admin.AdminSite):
    site_header = _("Marketplace back-office")
    site_title = _("Marketplace back-office")
    index_title = _("Operator dashboard")
    index_template = "admin/backoffice_index.html"
    site_url = None  # the portal is for suppliers only; there is no public site to "view"

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {**(extra_context or {}), "dashboard": dashboard_figures()}
        return super().index(request, context)
