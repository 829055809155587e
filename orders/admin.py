"""The JIT warehouse's and the operators' screens for JIT orders, penalties and appeals.

Every change is an action or the reject-for-quality form, and each calls a service in
orders.services.orders (receive, inspect, decide an appeal); nothing is edited in a form, so a
save can never undo a move the sweep or the supplier made meanwhile. A refusal is shown as a
message, never a 500. Penalties are the sweep's: read-only here, with their evidence.
"""

from __future__ import annotations

import mimetypes
import os
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.admin import (
    PageExtrasMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_actor,
    apply_each,
    report_success,
)
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.formatting import EMPTY, local_name, money_display, when
from marketplace.paginator import KeysFirstPaginator

from .evidence import evidence_table, times_goods_value
from .models import (
    Appeal,
    AppealAttachment,
    ConsumerOrder,
    InspectionPhoto,
    JitOrder,
    Payable,
    Penalty,
)
from .rules import rules
from .selectors import consumer_orders_visible_to, payables_visible_to
from .services.consumer import consumer_order_cancel, consumer_order_fulfil
from .services.orders import appeal_decide, order_inspect, order_receive

Status = JitOrder.Status
PHOTO_MAX_FILES = 10
PHOTO_MAX_BYTES = 10 * 1024 * 1024


def _file_response(stored: FieldFile) -> FileResponse:
    """An upload shown to staff (media is not served publicly)."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = mimetypes.guess_type(stored.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- JIT orders -------------------------------------------------------------------------------


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


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    """Several pictures in one input, each read by Pillow (a picture in name only is refused);
    cleans to a list, empty when none was chosen."""

    widget = MultipleImageInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if len(files) > PHOTO_MAX_FILES:
            raise forms.ValidationError(
                _("At most %(n)d photos.") % {"n": PHOTO_MAX_FILES}, code="too_many"
            )
        for upload in files:
            if upload.size is not None and upload.size > PHOTO_MAX_BYTES:
                raise forms.ValidationError(
                    _("%(name)s is larger than 10 MB.") % {"name": upload.name}, code="too_large"
                )
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


class ReceiveForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here: the largest order is a setting, read when the form is made.
        self.fields["received_quantity"] = forms.IntegerField(
            label=_("received quantity"),
            min_value=0,
            max_value=settings.JIT_MAX_UNITS_PER_ORDER,
            help_text=_("The units that arrived, as counted at the JIT warehouse."),
        )


class RejectQualityForm(forms.Form):
    defect_notes = forms.CharField(
        label=_("defect notes"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("What is wrong, and how many units; the supplier reads it with the penalty."),
    )
    photos = MultipleImageField(
        label=_("photos"),
        required=False,
        widget=MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_("Up to 10 pictures of the defects (JPEG, PNG or WebP, 10 MB each)."),
    )


@admin.register(JitOrder)
class JitOrderAdmin(PageExtrasMixin, admin.ModelAdmin):
    """The JIT warehouse counts what arrives (receive) and inspects it: accept, or reject for
    quality with defect notes and photos (the form on an order's page). The sweep penalises."""

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

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from the storefront through the API

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the actions and the reject form; no order is edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

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
        done = apply_each(
            self,
            request,
            queryset,
            lambda order: order_receive(order, quantity=order.quantity, actor=actor),
        )
        if done:
            report_success(
                self,
                request,
                ngettext("%(n)d order received.", "%(n)d orders received.", done) % {"n": done},
            )

    @admin.action(description=_("Accept at inspection"), permissions=["change"])
    def accept_inspection(self, request: HttpRequest, queryset: QuerySet[JitOrder]) -> None:
        actor = admin_actor(request)
        done = apply_each(
            self, request, queryset, lambda order: order_inspect(order, accept=True, actor=actor)
        )
        if done:
            report_success(
                self,
                request,
                ngettext("%(n)d order accepted.", "%(n)d orders accepted.", done) % {"n": done},
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
                for name, errors in error.fields.items():
                    form.add_error(name if name in form.fields else None, list(errors))
                form.add_error(None, error.message)
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
        return TemplateResponse(
            request,
            "admin/logistics/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Receive order %(id)s") % {"id": order.pk},
                "opts": self.opts,
                "subject": order,
                "subject_url": change_url,
                "intro": _("%(supplier)s shipped %(n)d units (waybill %(waybill)s).")
                % {
                    "supplier": local_name(order.supplier.name_en, order.supplier.name_zh),
                    "n": order.quantity,
                    "waybill": order.waybill or EMPTY,
                },
                "form": form,
                "submit": _("Receive"),
            },
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
        return _file_response(photo.image)


# --- Penalties ----------------------------------------------------------------------------------


@admin.register(Penalty)
class PenaltyAdmin(ReadOnlyAdmin):
    """The sweep's penalties, exactly once per order and tier; read-only, with their evidence.
    A penalty changes only through an appeal's decision."""

    list_display = [
        "assessed_at",
        "order_link",
        "supplier",
        "tier",
        "multiple_shown",
        "amount_shown",
        "status",
        "rule_version",
    ]
    list_filter = ["tier", "status", "assessed_at", "rule_version"]
    search_fields = [
        "order__external_id",
        "order__waybill",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    list_select_related = ["supplier"]
    show_full_result_count = False
    readonly_fields = (
        "order_link",
        "supplier",
        "tier",
        "multiple_shown",
        "amount_shown",
        "rule_version",
        "status",
        "assessed_at",
        "reversed_at",
        "reversal_reason",
        "ledger_entry_link",
        "appeal_link",
        "evidence_shown",
    )
    fields = readonly_fields
    actions = [export_csv]

    amount_shown = money_display("amount", _("amount"))

    @admin.display(description=_("multiple of goods value"), ordering="multiple")
    def multiple_shown(self, penalty: Penalty) -> str:
        return times_goods_value(penalty.multiple)

    @admin.display(description=_("order"), ordering="order_id")
    def order_link(self, penalty: Penalty) -> str:
        url = reverse("admin:orders_jitorder_change", args=[penalty.order_id])
        return format_html('<a href="{}">#{}</a>', url, penalty.order_id)

    @admin.display(description=_("ledger entry"))
    def ledger_entry_link(self, penalty: Penalty) -> str:
        if penalty.ledger_entry_id is None:
            return EMPTY
        url = reverse("admin:suppliers_ledgerentry_change", args=[penalty.ledger_entry_id])
        return format_html('<a href="{}">#{}</a>', url, penalty.ledger_entry_id)

    @admin.display(description=_("appeal"))
    def appeal_link(self, penalty: Penalty) -> str:
        appeal = Appeal.objects.filter(penalty=penalty).only("pk", "decision").first()
        if appeal is None:
            return EMPTY
        url = reverse("admin:orders_appeal_change", args=[appeal.pk])
        return format_html(
            '<a href="{}">{}</a>', url, appeal.get_decision_display() or _("waiting")
        )

    @admin.display(description=_("evidence"))
    def evidence_shown(self, penalty: Penalty) -> str:
        return evidence_table(penalty.evidence)


# --- Appeals ------------------------------------------------------------------------------------


class AppealActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: the supplier reads it")}
        ),
    )


class PendingFilter(admin.SimpleListFilter):
    title = _("decided")
    parameter_name = "pending"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("yes", _("Waiting for a decision")), ("no", _("Decided"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Appeal]) -> QuerySet[Appeal]:
        if self.value() == "yes":
            return queryset.filter(decision="")
        if self.value() == "no":
            return queryset.exclude(decision="")
        return queryset


class AppealAttachmentInline(ReadOnlyInline):
    """The supplier's evidence, for those who may open it (orders.view_appealattachment)."""

    model = AppealAttachment
    readonly_fields = ("link",)
    fields = readonly_fields

    @admin.display(description=_("file"))
    def link(self, attachment: AppealAttachment) -> str:
        url = reverse("admin:orders_appeal_attachment", args=[attachment.appeal_id, attachment.pk])
        return format_html('<a href="{}">{}</a>', url, os.path.basename(attachment.file.name))


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    """Operators uphold or waive an appealed penalty with a reason (the action bar); a waiver
    posts a reversal to the deposit. Appeals are never edited."""

    action_form = AppealActionForm
    list_display = [
        "submitted_at",
        "penalty_link",
        "supplier",
        "amount",
        "submitted_by",
        "decision",
        "decided_by",
        "decided_at",
    ]
    list_filter = [PendingFilter, "decision", "penalty__tier"]
    search_fields = [
        "penalty__order__external_id",
        "penalty__supplier__name_en",
        "penalty__supplier__name_zh",
        "reason",
    ]
    list_select_related = ["penalty__supplier", "submitted_by", "decided_by"]
    readonly_fields = (
        "penalty_link",
        "supplier",
        "amount",
        "reason",
        "submitted_by",
        "submitted_at",
        "decision",
        "decision_reason",
        "decided_by",
        "decided_at",
        "evidence_shown",
    )
    fields = readonly_fields
    inlines = [AppealAttachmentInline]
    actions = ["uphold", "waive", export_csv]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # suppliers appeal in the portal

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the decisions (actions); no appeal is edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("penalty"), ordering="penalty__assessed_at")
    def penalty_link(self, appeal: Appeal) -> str:
        penalty = appeal.penalty
        url = reverse("admin:orders_penalty_change", args=[penalty.pk])
        return format_html(
            '<a href="{}">{} · {} #{}</a>',
            url,
            penalty.get_tier_display(),
            _("order"),
            penalty.order_id,
        )

    @admin.display(description=_("supplier"), ordering="penalty__supplier__name_en")
    def supplier(self, appeal: Appeal) -> Any:
        return appeal.penalty.supplier

    amount = money_display("penalty__amount", _("amount"))

    @admin.display(description=_("evidence of the penalty"))
    def evidence_shown(self, appeal: Appeal) -> str:
        return evidence_table(appeal.penalty.evidence)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="orders_appeal_attachment",
            ),
            *super().get_urls(),
        ]

    def attachment_view(
        self, request: HttpRequest, object_id: int, attachment_id: int
    ) -> FileResponse:
        if not request.user.has_perm("orders.view_appealattachment"):
            raise PermissionDenied
        attachment = get_object_or_404(AppealAttachment, pk=attachment_id, appeal_id=object_id)
        return _file_response(attachment.file)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Appeal], *, waive: bool) -> int:
        actor, reason = admin_actor(request), request.POST.get("reason", "").strip()
        return apply_each(
            self,
            request,
            queryset,
            lambda appeal: appeal_decide(appeal, waive=waive, reason=reason, actor=actor),
        )

    @admin.action(description=_("Uphold the penalty (reason required)"), permissions=["change"])
    def uphold(self, request: HttpRequest, queryset: QuerySet[Appeal]) -> None:
        done = self._decide(request, queryset, waive=False)
        if done:
            report_success(
                self,
                request,
                ngettext("%(n)d penalty upheld.", "%(n)d penalties upheld.", done) % {"n": done},
            )

    @admin.action(
        description=_("Waive the penalty and refund it (reason required)"),
        permissions=["change"],
    )
    def waive(self, request: HttpRequest, queryset: QuerySet[Appeal]) -> None:
        done = self._decide(request, queryset, waive=True)
        if done:
            report_success(
                self,
                request,
                ngettext(
                    "%(n)d penalty waived; the reversal is posted to the deposit.",
                    "%(n)d penalties waived; the reversals are posted to the deposit.",
                    done,
                )
                % {"n": done},
            )


# --- Consumer orders and payables (consignment stock) ------------------------------------------


@admin.register(ConsumerOrder)
class ConsumerOrderAdmin(ReadOnlyAdmin):
    """Storefront orders on fully-managed listings, reserved from consignment stock: the
    warehouse fulfils them (the sale: ownership passes, the payable is recorded) or cancels them
    (the reservation is released), through the actions. Orders are never edited."""

    list_display = [
        "id",
        "external_id",
        "listing_title",
        "supplier",
        "warehouse",
        "market",
        "quantity",
        "unit_supply_price_shown",
        "status",
        "ordered_at",
        "fulfilled_at",
        "cancelled_at",
    ]
    list_filter = ["status", "market", "warehouse", "ordered_at"]
    search_fields = ["external_id", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["listing__product", "supplier", "warehouse"]
    show_full_result_count = False
    readonly_fields = (
        "external_id",
        "listing_title",
        "supplier",
        "warehouse",
        "market",
        "quantity",
        "unit_supply_price_shown",
        "status",
        "ordered_at",
        "fulfilled_at",
        "cancelled_at",
    )
    fields = readonly_fields
    actions = ["fulfil", "cancel_consumer_orders", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ConsumerOrder]:
        return consumer_orders_visible_to(admin_actor(request)).select_related(
            "listing__product", "supplier", "warehouse"
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the actions; an order is never edited.
        return obj is None and request.user.has_perm("orders.change_consumerorder")

    unit_supply_price_shown = money_display("unit_supply_price", _("unit supply price"))

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, order: ConsumerOrder) -> str:
        return f"{order.listing.product.title_en} (#{order.listing_id})"

    @admin.action(
        description=_("Fulfil (the sale: the payable is recorded)"), permissions=["change"]
    )
    def fulfil(self, request: HttpRequest, queryset: QuerySet[ConsumerOrder]) -> None:
        actor = admin_actor(request)
        done = apply_each(
            self, request, queryset, lambda order: consumer_order_fulfil(order, actor=actor)
        )
        if done:
            report_success(
                self,
                request,
                ngettext("%(n)d order fulfilled.", "%(n)d orders fulfilled.", done) % {"n": done},
            )

    @admin.action(description=_("Cancel (the reservation is released)"), permissions=["change"])
    def cancel_consumer_orders(
        self, request: HttpRequest, queryset: QuerySet[ConsumerOrder]
    ) -> None:
        actor = admin_actor(request)
        done = apply_each(
            self, request, queryset, lambda order: consumer_order_cancel(order, actor=actor)
        )
        if done:
            report_success(
                self,
                request,
                ngettext("%(n)d order cancelled.", "%(n)d orders cancelled.", done) % {"n": done},
            )


@admin.register(Payable)
class PayableAdmin(ReadOnlyAdmin):
    """What the platform owes suppliers for consignment stock sold, recorded at each sale;
    read-only, with a CSV export for finance."""

    list_display = ["recorded_at", "order_link", "supplier", "amount_shown", "status"]
    list_filter = ["status", "recorded_at"]
    search_fields = ["order__external_id", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier"]
    show_full_result_count = False
    readonly_fields = (
        "recorded_at",
        "order_link",
        "supplier",
        "amount_shown",
        "status",
    )
    fields = readonly_fields
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payable]:
        return payables_visible_to(admin_actor(request)).select_related("supplier")

    amount_shown = money_display("amount", _("amount"))

    @admin.display(description=_("consumer order"), ordering="order_id")
    def order_link(self, payable: Payable) -> str:
        url = reverse("admin:orders_consumerorder_change", args=[payable.order_id])
        return format_html('<a href="{}">#{}</a>', url, payable.order_id)
