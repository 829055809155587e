"""The operators', the warehouse's and the inspectors' screens for consignment inventory.

Every change goes through a service in logistics.services (or orders.services.consumer): the
stocking-order add form issues through the service, shipments move through actions and the
buttons on their page, receiving counts a line on its count page, the inspector records a lot on
its inspect page (which shows the sampling plan first), and a markdown is recorded through an
action. No state field is edited in a form, and a refusal (DomainError) is shown on the form or
as a message, never a 500. The stock ledger is read-only everywhere: positions show their latest
movements, and nobody adds, changes or deletes a movement here (the database refuses it too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from marketplace.admin import ReadOnlyAdmin, ReadOnlyInline
from marketplace.admin_export import export_csv
from marketplace.errors import DomainError
from marketplace.paginator import KeysFirstPaginator

from .models import (
    InboundLine,
    InboundShipment,
    Inspection,
    OverstockOffer,
    PickupCluster,
    PickupSlot,
    SamplingState,
    StockingOrder,
    StockMovement,
    StockPosition,
    Warehouse,
)
from .selectors import (
    overstock_offers_visible_to,
    shipments_visible_to,
    stock_positions_visible_to,
    stocking_orders_visible_to,
)
from .services.inbound import (
    INBOUND_MOVES,
    inbound_transition,
    inspection_plan,
    line_count,
    line_inspect,
    pickup_assign,
    pickup_cluster_of,
    sampling_restart,
    stocking_order_issue,
    stocking_order_transition,
)
from .services.overstock import overstock_mark_down

EMPTY = "-"
# How many of a position's latest movements its page shows: the ledger grows without bound.
LATEST_MOVEMENTS = 50
IS = InboundShipment.Status


def _actor(request: HttpRequest) -> User:
    return cast(User, request.user)


def _apply_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    rows: QuerySet[Any],
    act: Callable[[Any], object],
) -> int:
    """Call the service on each row; a refusal is reported for that row and the others go on.
    Returns how many the service accepted."""
    done = 0
    for row in rows:
        try:
            act(row)
        except DomainError as error:
            model_admin.message_user(request, f"{row}: {error.message}", level=messages.ERROR)
        else:
            done += 1
    return done


def _success(model_admin: admin.ModelAdmin, request: HttpRequest, text: str) -> None:
    model_admin.message_user(request, text, level=messages.SUCCESS)


def _form_error(form: forms.BaseForm, error: DomainError) -> None:
    """A service's refusal on the form: on the fields it names, and its message on top."""
    for name, errors in error.fields.items():
        form.add_error(name if name in form.fields else None, list(errors))
    form.add_error(None, error.message)


def _listing_title(listing: Any) -> str:
    return f"{listing.product.title_en} (#{listing.pk})"


def _link(name: str, pk: Any, text: Any) -> str:
    return format_html('<a href="{}">{}</a>', reverse(f"admin:{name}", args=[pk]), text)


class ReasonActionForm(ActionForm):
    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required to cancel: the supplier reads it")}
        ),
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()


# --- Warehouses and pickups ---------------------------------------------------------------------


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "market", "address", "is_active", "jit"]
    list_filter = ["kind", "market", "is_active"]
    search_fields = ["code", "name", "address"]

    @admin.display(description=_("JIT warehouse"), boolean=True)
    def jit(self, warehouse: Warehouse) -> bool:
        return warehouse.is_jit


class PickupSlotInline(admin.TabularInline):
    model = PickupSlot
    extra = 0
    fields = ["date", "window", "warehouse"]
    ordering = ["-date"]


@admin.register(PickupCluster)
class PickupClusterAdmin(admin.ModelAdmin):
    """The industrial clusters the circular pickups serve: a factory whose cluster has this name
    may ask for a pickup."""

    list_display = ["name", "province", "is_active"]
    list_filter = ["is_active", "province"]
    search_fields = ["name", "province"]
    inlines = [PickupSlotInline]


class UpcomingFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [("upcoming", _("Today and later")), ("past", _("Past"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        if self.value() == "upcoming":
            return queryset.filter(date__gte=today)
        if self.value() == "past":
            return queryset.filter(date__lt=today)
        return queryset


@admin.register(PickupSlot)
class PickupSlotAdmin(admin.ModelAdmin):
    list_display = ["date", "window", "cluster", "warehouse"]
    list_filter = [UpcomingFilter, "cluster", "warehouse", "date"]
    search_fields = ["cluster__name", "window"]
    list_select_related = ["cluster", "warehouse"]
    date_hierarchy = "date"


# --- Stocking orders ----------------------------------------------------------------------------


class StockingOrderIssueForm(forms.ModelForm):
    """An operator issues a stocking order. The service checks and issues it while the form is
    cleaned (inside the admin's transaction), so a refusal (the stocking cap, a listing that is
    not fully managed) is an error on the field it names."""

    actor: User | None = None  # set by StockingOrderAdmin.get_form
    order: StockingOrder | None = None

    class Meta:
        model = StockingOrder
        fields = ["listing", "quantity", "warehouse", "urgent"]
        help_texts = {
            "urgent": _("Expires in 7 days instead of 14 if not shipped."),
            "quantity": _("A new listing is capped until its first batch passes inspection."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "warehouse" in self.fields:
            field = cast(forms.ModelChoiceField, self.fields["warehouse"])
            field.queryset = Warehouse.objects.filter(is_active=True, kind=Warehouse.Kind.HUB)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.order = stocking_order_issue(
                cleaned["listing"],
                quantity=cleaned["quantity"],
                warehouse=cleaned["warehouse"],
                actor=self.actor,
                urgent=bool(cleaned.get("urgent")),
            )
        except DomainError as error:
            _form_error(self, error)
        return cleaned

    def _post_clean(self) -> None:
        # The service made the order; the model's own checks have nothing left to add.
        if self.order is not None:
            self.instance = self.order


class ShipmentInline(ReadOnlyInline):
    model = InboundShipment
    fields = readonly_fields = ("status", "carrier", "waybill", "pickup_requested", "created_at")
    show_change_link = True


@admin.register(StockingOrder)
class StockingOrderAdmin(admin.ModelAdmin):
    """Operators issue stocking orders (the add form, through the service) and cancel open ones
    with a reason (the action). The supplier accepts or declines in the portal; the hourly job
    lapses what is not shipped by its expiry. Orders are never edited."""

    form = StockingOrderIssueForm
    action_form = ReasonActionForm
    list_display = [
        "id",
        "supplier",
        "listing_title",
        "quantity",
        "warehouse",
        "urgent",
        "status",
        "issued_at",
        "expires_at",
    ]
    list_filter = ["status", "urgent", "warehouse", "issued_at"]
    search_fields = [
        "supplier__name_en",
        "supplier__name_zh",
        "listing__product__title_en",
        "listing__product__title_zh",
    ]
    list_select_related = ["supplier", "listing__product", "warehouse"]
    autocomplete_fields = ["listing"]
    show_full_result_count = False
    view_fields = [
        "supplier",
        "listing",
        "quantity",
        "warehouse",
        "urgent",
        "status",
        "status_reason",
        "issued_at",
        "expires_at",
        "issued_by",
    ]
    actions = ["cancel", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockingOrder]:
        return stocking_orders_visible_to(_actor(request)).select_related("supplier")

    def get_fields(self, request: HttpRequest, obj: StockingOrder | None = None) -> Any:
        return StockingOrderIssueForm.Meta.fields if obj is None else self.view_fields

    def get_readonly_fields(self, request: HttpRequest, obj: StockingOrder | None = None) -> Any:
        return [] if obj is None else self.view_fields

    def get_inlines(self, request: HttpRequest, obj: StockingOrder | None) -> Any:
        return [] if obj is None else [ShipmentInline]

    def get_form(
        self,
        request: HttpRequest,
        obj: StockingOrder | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"actor": _actor(request)})

    def save_model(self, request: HttpRequest, obj: StockingOrder, form: Any, change: bool) -> None:
        # Issued by the service while the form was cleaned (StockingOrderIssueForm.clean).
        assert obj.pk is not None

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the cancel action; an order is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, order: StockingOrder) -> str:
        return _listing_title(order.listing)

    @admin.action(description=_("Cancel (reason required)"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[StockingOrder]) -> None:
        actor, reason = _actor(request), _reason(request)
        if not reason:
            self.message_user(request, _("Say why the order is cancelled."), messages.ERROR)
            return
        done = _apply_each(
            self,
            request,
            queryset,
            lambda order: stocking_order_transition(
                order, StockingOrder.Status.CANCELLED, actor=actor, reason=reason
            ),
        )
        if done:
            _success(
                self,
                request,
                ngettext(
                    "%(n)d stocking order cancelled.", "%(n)d stocking orders cancelled.", done
                )
                % {"n": done},
            )


# --- Inbound shipments --------------------------------------------------------------------------


def _over_short(line: InboundLine) -> str:
    value = line.discrepancy
    if value is None:
        return EMPTY
    return f"{value:+d}" if value else "0"


def _line_work(line: InboundLine) -> str:
    """The count and inspect pages of a line, as links."""
    links = [(reverse("admin:logistics_inboundline_count", args=[line.pk]), _("count"))]
    if line.received is not None:
        links.append((reverse("admin:logistics_inboundline_inspect", args=[line.pk]), _("inspect")))
    return format_html_join(" · ", '<a href="{}">{}</a>', links)


def _line_result(line: InboundLine) -> str:
    inspection = getattr(line, "inspection", None)
    return EMPTY if inspection is None else inspection.get_result_display()


class InboundLineInline(ReadOnlyInline):
    model = InboundLine
    fields = readonly_fields = (
        "listing_title",
        "declared",
        "received",
        "damaged",
        "over_short",
        "result",
        "work",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundLine]:
        return super().get_queryset(request).select_related("listing__product", "inspection")

    @admin.display(description=_("listing"))
    def listing_title(self, line: InboundLine) -> str:
        return _listing_title(line.listing)

    @admin.display(description=_("over (+) / short (-)"))
    def over_short(self, line: InboundLine) -> str:
        return _over_short(line)

    @admin.display(description=_("inspection"))
    def result(self, line: InboundLine) -> str:
        return _line_result(line)

    @admin.display(description=_("receiving"))
    def work(self, line: InboundLine) -> str:
        return _line_work(line)


class PickupAssignForm(forms.Form):
    pickup_slot = forms.ModelChoiceField(
        label=_("pickup slot"),
        queryset=PickupSlot.objects.none(),
        help_text=_("Upcoming slots of the supplier's cluster."),
    )

    def __init__(self, *args: Any, shipment: InboundShipment, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cluster = pickup_cluster_of(shipment.supplier_id)
        slots = PickupSlot.objects.none()
        if cluster is not None:
            slots = PickupSlot.objects.filter(
                cluster=cluster, date__gte=timezone.localdate()
            ).select_related("cluster")
        cast(forms.ModelChoiceField, self.fields["pickup_slot"]).queryset = slots


# The moves an operator makes on the shipment's page and in the list; booking is the supplier's
# (or a pickup slot's), receiving starts with the first count.
SHIPMENT_MOVES = [
    (IS.IN_TRANSIT, _("Mark in transit")),
    (IS.ARRIVED, _("Mark arrived")),
    (IS.RECEIVED, _("Mark received")),
    (IS.CLOSED, _("Close")),
    (IS.CANCELLED, _("Cancel")),
]


@admin.register(InboundShipment)
class InboundShipmentAdmin(admin.ModelAdmin):
    """Shipments move through inbound_transition (the actions, and the buttons on a shipment's
    page); a shipment that asked for a circular pickup is put on a slot of its supplier's
    cluster. Lines are counted and inspected on their own pages. Nothing is edited."""

    change_form_template = "admin/logistics/inboundshipment/change_form.html"
    action_form = ReasonActionForm
    list_display = [
        "id",
        "supplier",
        "stocking_order_link",
        "warehouse",
        "status",
        "carrier",
        "waybill",
        "pickup_requested",
        "pickup_slot",
        "created_at",
        "status_changed_at",
    ]
    list_filter = ["status", "warehouse", "pickup_requested"]
    search_fields = ["waybill", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier", "warehouse", "pickup_slot__cluster"]
    show_full_result_count = False
    readonly_fields = (
        "supplier",
        "stocking_order_link",
        "warehouse",
        "status",
        "carrier",
        "waybill",
        "pickup_requested",
        "pickup_slot",
        "created_at",
        "status_changed_at",
    )
    fields = readonly_fields
    inlines = [InboundLineInline]
    actions = ["mark_in_transit", "mark_arrived", "mark_received", "close", "cancel", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundShipment]:
        return shipments_visible_to(_actor(request)).select_related("supplier")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # suppliers send the advance notice in the portal or the API

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the moves and the pickup; a shipment is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("stocking order"), ordering="stocking_order_id")
    def stocking_order_link(self, shipment: InboundShipment) -> str:
        return _link(
            "logistics_stockingorder_change",
            shipment.stocking_order_id,
            f"#{shipment.stocking_order_id}",
        )

    # --- Moves ----------------------------------------------------------------------------------

    def _move(self, request: HttpRequest, queryset: QuerySet[InboundShipment], target: str) -> None:
        actor, reason = _actor(request), _reason(request)
        if target == IS.CANCELLED and not reason:
            self.message_user(request, _("Say why the shipment is cancelled."), messages.ERROR)
            return
        done = _apply_each(
            self,
            request,
            queryset,
            lambda shipment: inbound_transition(shipment, target, actor=actor, reason=reason),
        )
        if done:
            _success(
                self,
                request,
                ngettext(
                    "%(n)d shipment is now %(status)s.",
                    "%(n)d shipments are now %(status)s.",
                    done,
                )
                % {"n": done, "status": IS(target).label.lower()},
            )

    @admin.action(description=_("Mark in transit"), permissions=["change"])
    def mark_in_transit(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.IN_TRANSIT)

    @admin.action(description=_("Mark arrived at the warehouse"), permissions=["change"])
    def mark_arrived(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.ARRIVED)

    @admin.action(description=_("Mark received (every line counted)"), permissions=["change"])
    def mark_received(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.RECEIVED)

    @admin.action(description=_("Close (every line inspected)"), permissions=["change"])
    def close(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.CLOSED)

    @admin.action(description=_("Cancel (reason required)"), permissions=["change"])
    def cancel(self, request: HttpRequest, queryset: QuerySet[InboundShipment]) -> None:
        self._move(request, queryset, IS.CANCELLED)

    # --- The shipment's page: buttons and the pickup slot --------------------------------------

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/move/<str:target>/",
                self.admin_site.admin_view(self.move_view),
                name="logistics_inboundshipment_move",
            ),
            path(
                "<int:object_id>/pickup/",
                self.admin_site.admin_view(self.pickup_view),
                name="logistics_inboundshipment_pickup",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        shipment = (
            InboundShipment.objects.filter(pk=object_id).first()
            if str(object_id).isdigit()
            else None
        )
        if shipment is not None and self.has_change_permission(request):
            extra["moves"] = [
                (
                    target,
                    label,
                    reverse("admin:logistics_inboundshipment_move", args=[shipment.pk, target]),
                )
                for target, label in SHIPMENT_MOVES
                if shipment.status in INBOUND_MOVES[target]
            ]
            if shipment.pickup_requested and shipment.status in (IS.DRAFT, IS.BOOKED):
                extra["pickup_form"] = PickupAssignForm(shipment=shipment)
                extra["pickup_url"] = reverse(
                    "admin:logistics_inboundshipment_pickup", args=[shipment.pk]
                )
        return super().change_view(request, object_id, form_url, extra)

    def move_view(self, request: HttpRequest, object_id: int, target: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_change_permission(request):
            raise PermissionDenied
        if target not in dict(SHIPMENT_MOVES):
            raise PermissionDenied
        shipment = get_object_or_404(InboundShipment, pk=object_id)
        self._move(request, InboundShipment.objects.filter(pk=shipment.pk), target)
        return redirect("admin:logistics_inboundshipment_change", shipment.pk)

    def pickup_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        shipment = get_object_or_404(
            InboundShipment.objects.select_related("supplier"), pk=object_id
        )
        change_url = reverse("admin:logistics_inboundshipment_change", args=[shipment.pk])
        form = PickupAssignForm(request.POST or None, shipment=shipment)
        if request.method == "POST" and form.is_valid():
            try:
                pickup_assign(shipment, form.cleaned_data["pickup_slot"], actor=_actor(request))
            except DomainError as error:
                _form_error(form, error)
            else:
                slot = form.cleaned_data["pickup_slot"]
                _success(self, request, str(_("Pickup scheduled: %(slot)s.")) % {"slot": slot})
                return redirect(change_url)
        return TemplateResponse(
            request,
            "admin/logistics/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Assign a pickup slot to %(shipment)s") % {"shipment": shipment},
                "opts": self.opts,
                "subject": shipment,
                "subject_url": change_url,
                "intro": _("%(supplier)s asked for a circular pickup.")
                % {"supplier": shipment.supplier},
                "form": form,
                "submit": _("Assign the slot"),
            },
        )


# --- Receiving and inspection -------------------------------------------------------------------


class CountForm(forms.Form):
    received = forms.IntegerField(
        label=_("received"), min_value=0, help_text=_("Every unit that arrived, damaged or not.")
    )
    damaged = forms.IntegerField(
        label=_("damaged"), min_value=0, initial=0, help_text=_("Of the received units.")
    )


class InspectForm(forms.Form):
    defects = forms.IntegerField(
        label=_("defectives found"), min_value=0, help_text=_("Defective units in the sample.")
    )
    notes = forms.CharField(
        label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60})
    )
    resubmitted = forms.BooleanField(
        label=_("resubmitted lot"),
        required=False,
        help_text=_("A lot sent again after a rejection; it does not count for switching."),
    )


class CountedFilter(admin.SimpleListFilter):
    title = _("receiving")
    parameter_name = "stage"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("uncounted", _("Not counted")),
            ("uninspected", _("Counted, not inspected")),
            ("inspected", _("Inspected")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "uncounted":
            return queryset.filter(received__isnull=True)
        if self.value() == "uninspected":
            return queryset.filter(received__isnull=False, inspection__isnull=True)
        if self.value() == "inspected":
            return queryset.filter(inspection__isnull=False)
        return queryset


@admin.register(InboundLine)
class InboundLineAdmin(admin.ModelAdmin):
    """The receiving desk: each line is counted (received, damaged) on its count page and
    inspected on its inspect page, which shows the sampling plan before anything is entered."""

    list_display = [
        "id",
        "shipment_link",
        "supplier",
        "listing_title",
        "declared",
        "received",
        "damaged",
        "over_short",
        "result",
        "work",
    ]
    list_filter = [CountedFilter, "shipment__status", "shipment__warehouse"]
    search_fields = ["shipment__waybill", "shipment__supplier__name_en"]
    list_select_related = ["shipment__supplier", "listing__product", "inspection"]
    show_full_result_count = False
    readonly_fields = (
        "shipment_link",
        "supplier",
        "listing_title",
        "declared",
        "received",
        "damaged",
        "over_short",
        "counted_at",
        "result",
        "work",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # counted and inspected on their own pages, through the services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("shipment"), ordering="shipment_id")
    def shipment_link(self, line: InboundLine) -> str:
        return _link(
            "logistics_inboundshipment_change",
            line.shipment_id,
            f"#{line.shipment_id} ({line.shipment.get_status_display()})",
        )

    @admin.display(description=_("supplier"))
    def supplier(self, line: InboundLine) -> Any:
        return line.shipment.supplier

    @admin.display(description=_("listing"))
    def listing_title(self, line: InboundLine) -> str:
        return _listing_title(line.listing)

    @admin.display(description=_("over (+) / short (-)"))
    def over_short(self, line: InboundLine) -> str:
        return _over_short(line)

    @admin.display(description=_("inspection"))
    def result(self, line: InboundLine) -> str:
        return _line_result(line)

    @admin.display(description=_("receiving"))
    def work(self, line: InboundLine) -> str:
        return _line_work(line)

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/count/",
                self.admin_site.admin_view(self.count_view),
                name="logistics_inboundline_count",
            ),
            path(
                "<int:object_id>/inspect/",
                self.admin_site.admin_view(self.inspect_view),
                name="logistics_inboundline_inspect",
            ),
            *super().get_urls(),
        ]

    def _line(self, object_id: int) -> InboundLine:
        return get_object_or_404(
            InboundLine.objects.select_related(
                "shipment__supplier", "shipment__warehouse", "listing__product__category"
            ),
            pk=object_id,
        )

    def count_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Receiving counts a line: line_count, which starts receiving on an arrived shipment."""
        if not request.user.has_perm("logistics.change_inboundline"):
            raise PermissionDenied
        line = self._line(object_id)
        shipment_url = reverse("admin:logistics_inboundshipment_change", args=[line.shipment_id])
        initial = {"received": line.received, "damaged": line.damaged}
        form = CountForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                line_count(
                    line,
                    received=form.cleaned_data["received"],
                    damaged=form.cleaned_data["damaged"],
                    actor=_actor(request),
                )
            except DomainError as error:
                _form_error(form, error)
            else:
                _success(
                    self,
                    request,
                    str(_("Line counted: %(received)d received, %(damaged)d damaged, %(diff)s."))
                    % {
                        "received": line.received,
                        "damaged": line.damaged,
                        "diff": _over_short(line),
                    },
                )
                return redirect(shipment_url)
        return TemplateResponse(
            request,
            "admin/logistics/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Count line %(id)s") % {"id": line.pk},
                "opts": self.opts,
                "subject": line.shipment,
                "subject_url": shipment_url,
                "intro": _("%(listing)s: %(n)d units declared by %(supplier)s.")
                % {
                    "listing": _listing_title(line.listing),
                    "n": line.declared,
                    "supplier": line.shipment.supplier,
                },
                "form": form,
                "submit": _("Record the count"),
            },
        )

    def inspect_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """The inspector sees the plan (severity and why, lot size, AQL, code letter, sample
        size, Ac and Re) before entering anything, then records the defectives via line_inspect;
        once inspected the page shows the result."""
        if not request.user.has_perm("logistics.change_inspection"):
            raise PermissionDenied
        line = self._line(object_id)
        this_url = reverse("admin:logistics_inboundline_inspect", args=[line.pk])
        inspection = Inspection.objects.filter(line=line).select_related("inspector").first()
        plan = None
        form = None
        state = None
        if inspection is None and line.received is not None:
            plan = inspection_plan(line)
            if plan.discontinued:
                state = SamplingState.objects.filter(
                    supplier_id=line.listing.supplier_id, product_id=line.listing.product_id
                ).first()
            else:
                form = InspectForm(request.POST or None)
        if request.method == "POST":
            if form is None:
                raise PermissionDenied
            if form.is_valid():
                try:
                    inspection = line_inspect(
                        line,
                        defects=form.cleaned_data["defects"],
                        actor=_actor(request),
                        notes=form.cleaned_data["notes"],
                        resubmitted=form.cleaned_data["resubmitted"],
                    )
                except DomainError as error:
                    _form_error(form, error)
                else:
                    level = (
                        messages.SUCCESS
                        if inspection.result == Inspection.Result.ACCEPTED
                        else messages.WARNING
                    )
                    self.message_user(
                        request,
                        str(_("Lot %(result)s.")) % {"result": inspection.get_result_display()},
                        level,
                    )
                    return redirect(this_url)
        return TemplateResponse(
            request,
            "admin/logistics/inboundline/inspect.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Inspect line %(id)s") % {"id": line.pk},
                "opts": self.opts,
                "line": line,
                "listing_title": _listing_title(line.listing),
                "shipment_url": reverse(
                    "admin:logistics_inboundshipment_change", args=[line.shipment_id]
                ),
                "plan": plan,
                "lot_size": line.sound,
                "inspection": inspection,
                "state": state,
                "form": form,
            },
        )


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    """The record of every lot's inspection, with the plan it was inspected by."""

    list_display = [
        "inspected_at",
        "line_link",
        "supplier",
        "product",
        "lot_size",
        "aql",
        "severity",
        "letter",
        "sample_size",
        "accept_number",
        "reject_number",
        "defects",
        "result",
        "resubmitted",
        "inspector",
    ]
    list_filter = ["result", "severity", "resubmitted", "inspected_at"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "product__title_en", "notes"]
    list_select_related = ["supplier", "product", "inspector"]
    show_full_result_count = False
    readonly_fields = (
        "line_link",
        "supplier",
        "product",
        "lot_size",
        "aql",
        "severity",
        "severity_reason",
        "letter",
        "sample_size",
        "accept_number",
        "reject_number",
        "defects",
        "result",
        "resubmitted",
        "notes",
        "inspected_at",
        "inspector",
    )
    fields = readonly_fields
    actions = [export_csv]

    @admin.display(description=_("line"), ordering="line_id")
    def line_link(self, inspection: Inspection) -> str:
        return _link("logistics_inboundline_inspect", inspection.line_id, f"#{inspection.line_id}")


class RestartForm(forms.Form):
    corrective_action = forms.CharField(
        label=_("corrective action"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("What the supplier changed; inspection restarts on tightened."),
    )


@admin.register(SamplingState)
class SamplingStateAdmin(admin.ModelAdmin):
    """Inspection severity per supplier and product, moved by the switching rules; a
    discontinued one restarts on tightened once a corrective action is recorded (its page)."""

    change_form_template = "admin/logistics/samplingstate/change_form.html"
    list_display = ["supplier", "product", "severity", "reason", "since", "restart"]
    list_filter = ["severity"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "product__title_en"]
    list_select_related = ["supplier", "product"]
    readonly_fields = ("supplier", "product", "severity", "reason", "since")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # made by the first inspection

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the restart; a state is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("restart"))
    def restart(self, state: SamplingState) -> str:
        if state.severity != SamplingState.Severity.DISCONTINUED:
            return EMPTY
        return _link("logistics_samplingstate_restart", state.pk, _("restart on tightened"))

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "<int:object_id>/restart/",
                self.admin_site.admin_view(self.restart_view),
                name="logistics_samplingstate_restart",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra = dict(extra_context or {})
        state = (
            SamplingState.objects.filter(pk=object_id).only("severity").first()
            if str(object_id).isdigit()
            else None
        )
        if (
            state is not None
            and state.severity == SamplingState.Severity.DISCONTINUED
            and self.has_change_permission(request)
        ):
            extra["restart_form"] = RestartForm()
            extra["restart_url"] = reverse("admin:logistics_samplingstate_restart", args=[state.pk])
        return super().change_view(request, object_id, form_url, extra)

    def restart_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        state = get_object_or_404(
            SamplingState.objects.select_related("supplier", "product"), pk=object_id
        )
        change_url = reverse("admin:logistics_samplingstate_change", args=[state.pk])
        form = RestartForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                sampling_restart(
                    state,
                    actor=_actor(request),
                    corrective_action=form.cleaned_data["corrective_action"],
                )
            except DomainError as error:
                _form_error(form, error)
            else:
                _success(self, request, str(_("Inspection restarts on tightened.")))
                return redirect(change_url)
        return TemplateResponse(
            request,
            "admin/logistics/form_page.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Restart inspection on tightened"),
                "opts": self.opts,
                "subject": f"{state.supplier} · {state.product}",
                "subject_url": change_url,
                "intro": _("Now %(severity)s: %(reason)s.")
                % {"severity": state.get_severity_display(), "reason": state.reason},
                "form": form,
                "submit": _("Restart on tightened"),
            },
        )


# --- Stock --------------------------------------------------------------------------------------


class LatestMovementsFormSet(BaseInlineFormSet):
    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[:LATEST_MOVEMENTS]
        return self._queryset


class MovementInline(ReadOnlyInline):
    """The position's latest movements; the ledger is append-only and written by the services."""

    model = StockMovement
    formset = LatestMovementsFormSet
    fields = readonly_fields = (
        "occurred_at",
        "kind",
        "on_hand",
        "available",
        "owner",
        "reference",
        "actor",
    )
    ordering = ["-occurred_at", "-id"]
    verbose_name_plural = _("latest stock movements (50)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockMovement]:
        return super().get_queryset(request).select_related("owner", "actor")


class StockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [
            ("on_hand", _("Units on hand")),
            ("reserved", _("With reservations")),
            ("sold_out", _("Nothing available")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        from django.db.models import F

        if self.value() == "on_hand":
            return queryset.filter(on_hand__gt=0)
        if self.value() == "reserved":
            return queryset.filter(on_hand__gt=F("available"))
        if self.value() == "sold_out":
            return queryset.filter(available=0)
        return queryset


@admin.register(StockPosition)
class StockPositionAdmin(ReadOnlyAdmin):
    paginator = KeysFirstPaginator  # deep pages of a large list stay fast
    """Per listing and warehouse, the ledger's sums (maintained with every movement) and the age
    of the oldest unsold unit: one query per page."""

    list_display = [
        "listing_title",
        "warehouse",
        "supplier",
        "on_hand",
        "available",
        "reserved_units",
        "sold",
        "oldest",
        "updated_at",
    ]
    list_filter = [StockFilter, "warehouse", "warehouse__kind"]
    search_fields = [
        "listing__product__title_en",
        "listing__product__title_zh",
        "supplier__name_en",
        "supplier__name_zh",
    ]
    show_full_result_count = False
    readonly_fields = (
        "listing_title",
        "warehouse",
        "supplier",
        "on_hand",
        "available",
        "reserved_units",
        "sold",
        "oldest",
        "updated_at",
    )
    fields = readonly_fields
    inlines = [MovementInline]
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockPosition]:
        return stock_positions_visible_to(_actor(request)).select_related("supplier")

    @admin.display(description=_("listing"), ordering="listing__product__title_en")
    def listing_title(self, position: StockPosition) -> str:
        return _listing_title(position.listing)

    @admin.display(description=_("reserved"))
    def reserved_units(self, position: StockPosition) -> int:
        return position.reserved

    @admin.display(description=_("oldest unsold unit"), ordering="oldest_received_at")
    def oldest(self, position: StockPosition) -> str:
        at = getattr(position, "oldest_received_at", None)
        if at is None:
            return EMPTY
        days = (timezone.now() - at).days
        return str(_("%(days)d days (%(date)s)")) % {
            "days": days,
            "date": timezone.localdate(at).isoformat(),
        }


class MarkdownActionForm(ActionForm):
    note = forms.CharField(
        label=_("Markdown:"),
        required=False,
        widget=forms.TextInput(
            attrs={"size": 60, "placeholder": _("required: e.g. 30 percent off for 14 days")}
        ),
    )


@admin.register(OverstockOffer)
class OverstockOfferAdmin(admin.ModelAdmin):
    """Stock unsold for 90 days offered back to its supplier; what the supplier leaves for a
    markdown, an operator decides (the action, with the markdown as its note)."""

    action_form = MarkdownActionForm
    list_display = [
        "id",
        "supplier",
        "listing_title",
        "warehouse",
        "quantity",
        "received_at",
        "status",
        "offered_at",
        "decided_at",
        "markdown_note",
    ]
    list_filter = ["status", "offered_at"]
    search_fields = ["supplier__name_en", "supplier__name_zh", "markdown_note"]
    show_full_result_count = False
    readonly_fields = (
        "supplier",
        "listing_title",
        "warehouse",
        "quantity",
        "received_at",
        "status",
        "offered_at",
        "decided_at",
        "markdown_note",
    )
    fields = readonly_fields
    actions = ["record_markdown", export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OverstockOffer]:
        return overstock_offers_visible_to(_actor(request)).select_related(
            "supplier", "lot__position__warehouse"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the daily overstock job makes the offers

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The change permission is for the markdown action; an offer is never edited.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("listing"))
    def listing_title(self, offer: OverstockOffer) -> str:
        return _listing_title(offer.lot.position.listing)

    @admin.display(description=_("warehouse"))
    def warehouse(self, offer: OverstockOffer) -> Any:
        return offer.lot.position.warehouse

    @admin.display(description=_("received"), ordering="lot__received_at")
    def received_at(self, offer: OverstockOffer) -> Any:
        return offer.lot.received_at

    @admin.action(description=_("Record the markdown (note required)"), permissions=["change"])
    def record_markdown(self, request: HttpRequest, queryset: QuerySet[OverstockOffer]) -> None:
        actor, note = _actor(request), request.POST.get("note", "").strip()
        done = _apply_each(
            self,
            request,
            queryset,
            lambda offer: overstock_mark_down(offer, actor=actor, note=note),
        )
        if done:
            _success(
                self,
                request,
                ngettext("%(n)d markdown recorded.", "%(n)d markdowns recorded.", done)
                % {"n": done},
            )
