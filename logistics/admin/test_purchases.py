"""The sampling screens' logistics side: pulling a request's units (a stock movement, or a test
purchase) and running the day's draw now.

compliance/admin/sampling.py registers the draws' and requests' screens; compliance sits below
logistics and cannot call these services, so this module registers the final screens as
subclasses adding these two doors (as marketplace/admin.py does for beat's periodic tasks).
Importing the compliance module first makes sure its registration is the one replaced."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from catalogue.models import Listing
from compliance.admin.sampling import SamplingDrawAdmin, SamplingRequestAdmin
from compliance.models import SamplingDraw, SamplingRequest
from marketplace.admin_base import admin_actor, form_error, form_page, report_success
from marketplace.celery import enqueue_on_commit
from marketplace.errors import DomainError

from ..services.test_purchases import sampling_units_pull
from ..tasks import draw_test_purchases_task


class PullForm(forms.Form):
    """For a semi-managed listing: the test purchase. A fully-managed one needs no input."""

    purchase_reference = forms.CharField(label=_("Purchase reference"), max_length=100)
    purchase_amount_cny = forms.DecimalField(
        label=_("Purchase amount (CNY)"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )


class PullFromStockForm(forms.Form):
    pass


def _pull_form(sample: SamplingRequest, data: Any = None) -> forms.Form:
    if sample.listing.mode == Listing.Mode.SEMI_MANAGED:
        return PullForm(data)
    return PullFromStockForm(data)


def _pull_intro(sample: SamplingRequest) -> str:
    if sample.listing.mode == Listing.Mode.SEMI_MANAGED:
        return str(
            _("A semi-managed listing: buy %(n)d unit(s) from the seller and record it.")
        ) % {"n": sample.units}
    return str(
        _("Consignment stock: %(n)d unit(s) leave the warehouse as a sample (a stock write-off).")
    ) % {"n": sample.units}


class TestPurchaseRequestAdmin(SamplingRequestAdmin):
    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/pull-units/",
                self.admin_site.admin_view(self.pull_view),
                name="compliance_samplingrequest_pull",
            ),
            *super().get_urls(),
        ]

    def page_extras(self, request: HttpRequest, obj: SamplingRequest) -> dict[str, Any]:
        extras = super().page_extras(request, obj)
        if self.may_move(request) and obj.status == SamplingRequest.Status.PLANNED:
            extras.update(
                pull_form=_pull_form(obj),
                pull_url=reverse("admin:compliance_samplingrequest_pull", args=[obj.pk]),
                pull_intro=_pull_intro(obj),
            )
        return extras

    def pull_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.may_move(request):
            raise PermissionDenied
        sample = get_object_or_404(
            self.get_queryset(request).select_related("listing__product"), pk=object_id
        )
        change_url = reverse("admin:compliance_samplingrequest_change", args=[sample.pk])
        form = _pull_form(sample, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                sampling_units_pull(sample, actor=admin_actor(request), **form.cleaned_data)
            except DomainError as error:
                form_error(form, error)
            else:
                report_success(self, request, str(_("Units pulled.")))
                return redirect(change_url)
        return form_page(
            self,
            request,
            title=_("Pull the units"),
            subject=str(sample),
            subject_url=change_url,
            intro=_pull_intro(sample),
            form=form,
            submit=_("Units pulled"),
        )


class TestPurchaseDrawAdmin(SamplingDrawAdmin):
    def may_draw(self, request: HttpRequest) -> bool:
        # Draws are read-only rows; whoever may plan sampling requests may draw them.
        return request.user.has_perm("compliance.add_samplingrequest")

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "draw-now/",
                self.admin_site.admin_view(self.draw_now_view),
                name="compliance_samplingdraw_draw_now",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if self.may_draw(request):
            extra_context = {
                **(extra_context or {}),
                "draw_now_url": reverse("admin:compliance_samplingdraw_draw_now"),
            }
        return super().changelist_view(request, extra_context)

    def draw_now_view(self, request: HttpRequest) -> HttpResponse:
        """Run the day's draw in a worker (a no-op once drawn); its progress shows as a job
        run."""
        if request.method != "POST" or not self.may_draw(request):
            raise PermissionDenied
        enqueue_on_commit(draw_test_purchases_task, actor_id=request.user.pk)
        report_success(
            self,
            request,
            str(
                _(
                    "Today's draw has started: its progress is under job runs; the draw "
                    "appears here when done."
                )
            ),
        )
        return redirect(
            reverse("admin:marketplace_jobrun_changelist") + "?name=draw_test_purchases"
        )


admin.site.unregister(SamplingDraw)
admin.site.register(SamplingDraw, TestPurchaseDrawAdmin)
admin.site.unregister(SamplingRequest)
admin.site.register(SamplingRequest, TestPurchaseRequestAdmin)
