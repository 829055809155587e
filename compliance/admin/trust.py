"""Trust pages, the answer kept per live listing and market, and the expiry warnings sent:
read-only screens (the services write them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import ReadOnlyAdmin
from marketplace.admin_export import export_csv

from ..models import ExpiryWarning, ListingMarketStatus, TrustPage, listing_model
from ..selectors.expiry import reason_texts
from ..services.trust import trust_pages_make_missing


@admin.register(TrustPage)
class TrustPageAdmin(ReadOnlyAdmin):
    list_display = ["listing", "public_page", "qr_code", "created_at"]
    list_select_related = ["listing__product", "listing__supplier"]
    search_fields = ["listing__product__title_en", "listing__product__title_zh", "token"]
    actions = [export_csv]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # Every live listing has its page: make those missing (set-based).
        trust_pages_make_missing(listing_model().objects.filter(status="live"))
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("public page"))
    def public_page(self, page: TrustPage) -> str:
        url = reverse("trust:page", args=[page.token])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description=_("QR code"))
    def qr_code(self, page: TrustPage) -> str:
        url = reverse("trust:qr", args=[page.token])
        return format_html(
            '<a href="{}" download><img src="{}" width="64" height="64" alt="QR"></a>', url, url
        )


@admin.register(ListingMarketStatus)
class ListingMarketStatusAdmin(ReadOnlyAdmin):
    list_display = ["listing", "market", "may_sell", "reason_codes", "changed_at", "checked_at"]
    list_filter = ["market", "may_sell"]
    list_select_related = ["listing__product", "listing__supplier"]
    search_fields = ["listing__product__title_en", "listing__supplier__name_en"]
    actions = [export_csv]

    @admin.display(description=_("reasons blocking the sale"))
    def reason_codes(self, row: ListingMarketStatus) -> str:
        return " ".join(reason_texts(row.reasons))


@admin.register(ExpiryWarning)
class ExpiryWarningAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "test_record", "certificate", "days", "valid_until"]
    list_filter = ["days"]
    list_select_related = ["test_record", "certificate"]
    actions = [export_csv]
