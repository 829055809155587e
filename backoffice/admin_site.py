from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path
from django.utils.translation import gettext_lazy as _

from accounts.preferences import preferences_view

from .compliance_kpis import PERMISSION as KPI_PERMISSION
from .compliance_kpis import compliance_headline, compliance_kpis_view
from .dashboard import dashboard_figures
from .landed_cost import PERMISSION as LANDED_COST_PERMISSION
from .landed_cost import landed_cost_view


class BackOfficeAdminSite(admin.AdminSite):
    site_header = _("Marketplace back-office")
    site_title = _("Marketplace back-office")
    index_title = _("Operator dashboard")
    index_template = "admin/backoffice_index.html"
    site_url = None  # the portal is for suppliers only; there is no public site to "view"

    def get_urls(self) -> list[URLResolver | URLPattern]:
        def preferences(request: HttpRequest) -> HttpResponse:
            return preferences_view(request, self)

        def compliance_kpis(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
            return compliance_kpis_view(request, self)

        def landed_cost(request: HttpRequest) -> HttpResponse:
            return landed_cost_view(request, self)

        return [
            path("preferences/", self.admin_view(preferences), name="preferences"),
            path("compliance-kpis/", self.admin_view(compliance_kpis), name="compliance_kpis"),
            path("landed-cost/", self.admin_view(landed_cost), name="landed_cost"),
            *super().get_urls(),
        ]

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        context = {**(extra_context or {}), "dashboard": dashboard_figures()}
        if request.user.has_perm(KPI_PERMISSION):
            context["compliance"] = compliance_headline()
        context["landed_cost_link"] = request.user.has_perm(LANDED_COST_PERMISSION)
        return super().index(request, context)
