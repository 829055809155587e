"""Listings paused because a critical corrective action is overdue: who paused what, when it was
let go and whether it went back on sale. The rows are the sweep's (never edited); the "run now"
page runs the sweep at once, as beat does every few minutes."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from marketplace.admin_base import ReadOnlyAdmin, admin_actor, form_page, report_success

from ..models import ListingActionPause
from ..services.corrective_pauses import listings_follow_corrective_actions


class RunForm(forms.Form):
    """Nothing to fill in: the button runs the sweep."""


@admin.register(ListingActionPause)
class ListingActionPauseAdmin(ReadOnlyAdmin):
    list_display = ["listing", "action", "paused_at", "released_at", "restored"]
    list_filter = ["restored", "paused_at", "released_at"]
    search_fields = ["listing__product__title_en", "listing__supplier__name_en"]
    list_select_related = ["listing__product", "action"]
    show_full_result_count = False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "run/",
                self.admin_site.admin_view(self.run_view),
                name="catalogue_listingactionpause_run",
            ),
            *super().get_urls(),
        ]

    def run_view(self, request: HttpRequest) -> HttpResponse:
        # Pausing and restoring listings is an operator's or officer's change on listings.
        if not request.user.has_perm("catalogue.change_listing"):
            raise PermissionDenied
        changelist = reverse("admin:catalogue_listingactionpause_changelist")
        form = RunForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            followed = listings_follow_corrective_actions(actor=admin_actor(request))
            report_success(
                self,
                request,
                str(_("%(paused)d listings paused, %(restored)d restored, %(released)d let go."))
                % {
                    "paused": followed.paused,
                    "restored": followed.restored,
                    "released": followed.released,
                },
            )
            return redirect(changelist)
        return form_page(
            self,
            request,
            title=_("Follow corrective actions now"),
            subject=self.opts.verbose_name_plural,
            subject_url=changelist,
            intro=_(
                "Pause the live listings under an overdue critical corrective action and put "
                "back those whose action is closed (beat does this every few minutes)."
            ),
            form=form,
            submit=_("Run now"),
        )
