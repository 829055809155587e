"""JIT orders: the warehouse receives and inspects them (actions, and the receive and
reject-for-quality pages); the sweep penalises."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from marketplace.admin_base import (
    ActionsOnlyAdmin,
    PageExtrasMixin,
    ReadOnlyInline,
    admin_actor,
    apply_each,
    form_error,
    form_page,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.files import private_file
from marketplace.formatting import EMPTY, local_name, money_display, when
from marketplace.paginator import KeysFirstPaginator

from ..evidence import times_goods_value
from ..models import InspectionPhoto, JitOrder, Penalty
from ..rules import rules
from ..services.orders import order_inspect, order_receive
from .forms import ReceiveForm, RejectQualityForm

Status = JitOrder.Status


class DueFilter(admin.SimpleListFilter):
    """Orders still awaiting shipment by how near their 24 h deadline is."""

    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("2h", _("Due within 2 hours")), ("overdue", _("Past the deadline, unshipped"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[JitOrder]) -> QuerySet[JitOrder]:
        now, ship_within = timezone.now(), rules().ship_within
        awaiting = queryset.filter(status=Status.AWAITING_SHIPMENT)
        if self.value() == "2h":
            return awaiting.filter(
                ordered_at__gt=now - ship_within,
                ordered_at__lte=now - ship_within + timedelta(hours=2),
            )
        if self.value() == "overdue":
            return awaiting.filter(ordered_at__lte=now - ship_within)
        return queryset


class PenaltyInline(ReadOnlyInline):
    model = Penalty
    fk_name = "order"
    readonly_fields = (
        "tier",
        "multiple_shown",
        "amount_shown",
        "status",
        "rule_version",
        "assessed_at",
        "entry",
    )
    fields = readonly_fields
    ordering = ["assessed_at", "id"]
    # The evidence is a table of its own, on the penalty's page.
    show_change_link = True

    amount_shown = money_display("amount", _("amount"))

    @admin.display(description=_("multiple of goods value"))
    def multiple_shown(self, penalty: Penalty) -> str:
        return times_goods_value(penalty.multiple)

    @admin.display(description=_("ledger entry"))
    def entry(self, penalty: Penalty) -> str:
        return EMPTY if penalty.ledger_entry_id is None else f"#{penalty.ledger_entry_id}"


class InspectionPhotoInline(ReadOnlyInline):
    model = InspectionPhoto
    readonly_fields = ("preview", "taken_at")
    fields = readonly_fields

    @admin.display(description=_("photo"))
    def preview(self, photo: InspectionPhoto) -> str:
        url = reverse("admin:orders_jitorder_photo", args=[photo.order_id, photo.pk])
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height: 160px"></a>', url, url
        )


@admin.register(JitOrder)
class JitOrderAdmin(PageExtrasMixin, ActionsOnlyAdmin):
    """The JIT warehouse counts what arrives (receive) and inspects it: accept, or reject for
    quality with defect notes and photos (the form on an order's page). The sweep penalises."""

    # Never added here: orders come from the storefront through the API.
    # The change permission is for the actions and the reject form; no order is edited.

    change_form_template = "admin/orders/jitorder/change_form.html"
    # Fits 1366 px beside the navigation and the filters: the deadline stands for the order time
    # (24 h before it), the time of shipment sits under the status, the product and the
    # storefront's order number are on the order's page.
    # A deep page skips index entries, not joined rows: the keys of the page first, in the
    # list's order (ordered_at, id: the jit_order_by_time and jit_order_status_time indexes).
    paginator = KeysFirstPaginator
    list_display = [
        "id",
        "supplier_name",
        "status_shown",
        "deadline",
        "quantity_shown",
        "goods_value_shown",
        "penalty_total_shown",
    ]
    export_display = [
        "id",
        "external_id",
        "supplier",
        "listing_title",
        "quantity",
        "received_quantity",
        "goods_value_shown",
        "ordered_at",
        "deadline_at",
        "status",
        "shipped_time",
        "penalty_total_shown",
    ]
    list_filter = ["status", DueFilter, "supplier", "ordered_at"]
    search_fields = ["external_id", "waybill"]
    list_select_related = ["supplier", "listing__product"]
    show_full_result_count = False  # a count of a million orders on every page is wasted
    readonly_fields = [
        "listing",
        "supplier",
        "external_id",
        "quantity",
        "unit_supply_price_shown",
        "goods_value_shown",
        "ordered_at",
        "deadline",
        "status",
        "waybill",
        "shipment_recorded_at",
        "first_scan_at",
        "shipped_at_shown",
        "received_at",
        "received_quantity",
        "inspected_at",
        "defect_notes",
        "stockout_declared_at",
        "stockout_reason",
        "cancelled_at",
        "penalty_total_shown",
        "reminded_18h_at",
        "reminded_23h_at",
        "created_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "listing",
                    "supplier",
                    "external_id",
                    "quantity",
                    "unit_supply_price_shown",
                    "goods_value_shown",
                    "status",
                    "penalty_total_shown",
                ]
            },
        ),
        (
            _("Times (the sweep reads them)"),
            {
                "fields": [
                    "ordered_at",
                    "deadline",
                    "reminded_18h_at",
                    "reminded_23h_at",
                    "shipment_recorded_at",
                    "first_scan_at",
                    "shipped_at_shown",
                    "stockout_declared_at",
                    "cancelled_at",
                    "created_at",
                ]
            },
        ),
        (
            _("Shipment and warehouse"),
            {
                "fields": [
                    "waybill",
                    "received_at",
                    "received_quantity",
                    "inspected_at",
                    "defect_notes",
                    "stockout_reason",
                ]
            },
        ),
    ]
    inlines = [PenaltyInline, InspectionPhotoInline]
    actions = ["receive", "accept_inspection", export_csv]

    unit_supply_price_shown = money_display("unit_supply_price", _("unit supply price"))
    goods_value_shown = money_display("goods_value", _("goods value"))
    penalty_total_shown = money_display("penalty_total", _("penalties"))

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, order: JitOrder) -> str:
        return f"{order.listing.product.title_en} (#{order.listing_id})"

    @admin.display(description=_("deadline (24 h)"))
    def deadline_at(self, order: JitOrder) -> datetime:
        return order.ordered_at + rules().ship_within

    @admin.display(description=_("shipped (first scan, else recorded)"))
    def shipped_time(self, order: JitOrder) -> datetime | None:
        return order.shipped_at

    @admin.display(description=_("supplier"), ordering="supplier__name_en")
    def supplier_name(self, order: JitOrder) -> str:
        return local_name(order.supplier.name_en, order.supplier.name_zh)

    @admin.display(description=_("qty"), ordering="quantity")
    def quantity_shown(self, order: JitOrder) -> str:
        if order.received_quantity is None or order.received_quantity == order.quantity:
            return str(order.quantity)
        # Short or over at the warehouse: what arrived beside what was ordered.
        return format_html(
            '{} <span class="quiet" title="{}">({})</span>',
            order.quantity,
            _("received quantity"),
            order.received_quantity,
        )

    @admin.display(description=_("deadline (24 h)"), ordering="ordered_at")
    def deadline(self, order: JitOrder) -> str:
        due = order.ordered_at + rules().ship_within
        if order.status == Status.AWAITING_SHIPMENT and due <= timezone.now():
            return format_html('{} <b class="overdue">{}</b>', when(due), _("overdue"))
        return when(due)

    @admin.display(description=_("status"), ordering="status")
    def status_shown(self, order: JitOrder) -> str:
        if order.shipped_at is None:
            return order.get_status_display()
        return format_html(
            '{}<br><span class="quiet">{} {}</span>',
            order.get_status_display(),
            _("shipped"),
            when(order.shipped_at),
        )

    @admin.display(description=_("shipped (first scan, else recorded)"))
    def shipped_at_shown(self, order: JitOrder) -> str:
        return when(order.shipped_at)

    # --- Actions ------------------------------------------------------------------------------

    @admin.action(
        description=_("Receive at the JIT warehouse (the ordered quantity)"),
        permissions=["change"],
    )
    def receive(self, request: HttpRequest, queryset: QuerySet[JitOrder]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda order: order_receive(order, quantity=order.quantity, actor=actor),
            ngettext_lazy("%(n)d order received.", "%(n)d orders received.", "n"),
        )

    @admin.action(description=_("Accept at inspection"), permissions=["change"])
    def accept_inspection(self, request: HttpRequest, queryset: QuerySet[JitOrder]) -> None:
        actor = admin_actor(request)
        apply_each(
            self,
            request,
            queryset,
            lambda order: order_inspect(order, accept=True, actor=actor),
            ngettext_lazy("%(n)d order accepted.", "%(n)d orders accepted.", "n"),
        )

    # --- The reject-for-quality form and the photos -------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:object_id>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="orders_jitorder_receive",
            ),
            path(
                "<int:object_id>/reject-quality/",
                self.admin_site.admin_view(self.reject_quality_view),
                name="orders_jitorder_reject_quality",
            ),
            path(
                "<int:object_id>/photos/<int:photo_id>/",
                self.admin_site.admin_view(self.photo_view),
                name="orders_jitorder_photo",
            ),
        ]
        return own + super().get_urls()

    def _may_reject(self, request: HttpRequest) -> bool:
        return self.has_change_permission(request) and request.user.has_perm(
            "orders.add_inspectionphoto"
        )

    def page_extras(self, request: HttpRequest, order: JitOrder) -> dict[str, Any]:
        if order.status == Status.SHIPPED and self.has_change_permission(request):
            return {
                "receive_form": ReceiveForm(initial={"received_quantity": order.quantity}),
                "receive_url": reverse("admin:orders_jitorder_receive", args=[order.pk]),
            }
        if order.status != Status.RECEIVED or not self._may_reject(request):
            return {}
        return {
            "reject_form": RejectQualityForm(),
            "reject_url": reverse("admin:orders_jitorder_reject_quality", args=[order.pk]),
        }

    def receive_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Receive one order with the quantity counted (the list's action takes the ordered
        quantity): order_receive; a short or over count is kept on the order."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        order = get_object_or_404(JitOrder.objects.select_related("supplier"), pk=object_id)
        change_url = reverse("admin:orders_jitorder_change", args=[order.pk])
        form = ReceiveForm(request.POST or None, initial={"received_quantity": order.quantity})
        if request.method == "POST" and form.is_valid():
            try:
                order_receive(
                    order,
                    quantity=form.cleaned_data["received_quantity"],
                    actor=admin_actor(request),
                )
            except DomainError as error:
                form_error(form, error)
            else:
                report_success(
                    self,
                    request,
                    str(_("Order %(id)s received: %(n)d of %(ordered)d units."))
                    % {
                        "id": order.pk,
                        "n": form.cleaned_data["received_quantity"],
                        "ordered": order.quantity,
                    },
                )
                return redirect(change_url)
        return form_page(
            self,
            request,
            title=_("Receive order %(id)s") % {"id": order.pk},
            subject=order,
            subject_url=change_url,
            intro=_("%(supplier)s shipped %(n)d units (waybill %(waybill)s).")
            % {
                "supplier": local_name(order.supplier.name_en, order.supplier.name_zh),
                "n": order.quantity,
                "waybill": order.waybill or EMPTY,
            },
            form=form,
            submit=_("Receive"),
        )

    def reject_quality_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Reject for quality: order_inspect(accept=False) with the defect notes, and the photos
        stored with it in one transaction (or neither)."""
        if not self._may_reject(request):
            raise PermissionDenied
        order = get_object_or_404(JitOrder.objects.select_related("supplier"), pk=object_id)
        change_url = reverse("admin:orders_jitorder_change", args=[order.pk])
        form = RejectQualityForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                order_inspect(
                    order,
                    accept=False,
                    actor=admin_actor(request),
                    defect_notes=form.cleaned_data["defect_notes"],
                    photos=form.cleaned_data["photos"],
                )
            except DomainError as error:
                for name, errors in error.fields.items():
                    form.add_error(name if name in form.fields else None, list(errors))
                self.message_user(request, error.message, level=messages.ERROR)
            else:
                self.log_change(request, order, "Rejected for quality.")
                report_success(
                    self,
                    request,
                    str(_("Order %(id)s rejected for quality; the sweep assesses the penalty."))
                    % {"id": order.pk},
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject order %(id)s for quality") % {"id": order.pk},
            "opts": self.opts,
            "order": order,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/orders/jitorder/reject_quality.html", context)

    def photo_view(self, request: HttpRequest, object_id: int, photo_id: int) -> FileResponse:
        if not request.user.has_perm("orders.view_inspectionphoto"):
            raise PermissionDenied
        photo = get_object_or_404(InspectionPhoto, pk=photo_id, order_id=object_id)
        return private_file(photo.image)
