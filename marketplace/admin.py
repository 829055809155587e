from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.validators import URLValidator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat.admin import PeriodicTaskAdmin as BeatPeriodicTaskAdmin
from django_celery_beat.models import PeriodicTask

from .admin_base import ActionsOnlyAdmin, ReadOnlyAdmin, ReadOnlyInline
from .event_kinds import EVENT_KINDS
from .events import replay
from .jobs import job_label
from .models import Event, JobRun, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import check_new_secret, new_secret


class JobFilter(admin.SimpleListFilter):
    """Runs by job, each named in words (the name itself is the command's)."""

    title = _("job")
    parameter_name = "name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        names = JobRun.objects.order_by("name").values_list("name", flat=True).distinct()
        return [(name, job_label(name)) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> QuerySet[JobRun]:
        value = self.value()
        return queryset.filter(name=value) if value else queryset


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["job", "status", "progress", "started_at", "finished_at", "summary"]
    list_filter = ["status", JobFilter]
    readonly_fields = [f.name for f in JobRun._meta.fields] + ["progress"]

    @admin.display(description=_("job"), ordering="name")
    def job(self, run: JobRun) -> str:
        return job_label(run.name)

    @admin.display(description=_("progress"))
    def progress(self, run: JobRun) -> str:
        if run.percent is None:
            return f"{run.done:,}"
        total = f"{run.total:,}" if run.total else "?"
        return format_html(
            '<progress max="100" value="{}"></progress> {}% ({} / {})',
            run.percent,
            run.percent,
            f"{run.done:,}",
            total,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False


# --- Events -----------------------------------------------------------------------------------


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    readonly_fields = ("endpoint", "status", "attempts", "next_attempt_at", "delivered_at")
    fields = readonly_fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("endpoint__client")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "kind", "supplier", "actor", "reason"]
    list_filter = ["kind"]
    date_hierarchy = "occurred_at"
    search_fields = [
        "kind",
        "reason",
        "subject_id",
        "supplier__name_en",
        "supplier__name_zh",
        "actor__username",
    ]
    list_select_related = ["supplier", "actor"]
    readonly_fields = (
        "kind",
        "occurred_at",
        "supplier",
        "actor",
        "subject_type",
        "subject_id",
        "reason",
        "payload_pretty",
    )
    fields = readonly_fields
    inlines = [DeliveryInline]

    @admin.display(description=_("payload"))
    def payload_pretty(self, event: Event) -> str:
        text = json.dumps(event.payload, indent=2, ensure_ascii=False, sort_keys=True)
        return format_html("<pre>{}</pre>", text)


# --- Webhooks ---------------------------------------------------------------------------------


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        # The model's URLField also takes ftp://; deliveries are HTTP POSTs.
        validators=[URLValidator(schemes=["http", "https"])],
    )
    event_kinds = forms.MultipleChoiceField(
        label=_("event kinds"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked for every kind, including kinds added later."),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text=_(
            "whsec_ and the base64 of 24 to 64 random bytes (Standard Webhooks). Copy it to the "
            "receiver, which verifies the webhook-signature header with it. Leave it blank to "
            "generate one (clear it and save to generate a new one)."
        ),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["client", "url", "event_kinds", "secret", "legacy_signature", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Kinds an endpoint already has stay choosable even if this list does not know them.
        kinds = {kind: f"{kind}: {spec.summary}" for kind, spec in EVENT_KINDS.items()}
        kinds.update({kind: kind for kind in self.instance.event_kinds or [] if kind not in kinds})
        self.fields["event_kinds"].choices = list(kinds.items())  # type: ignore[attr-defined]

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"].strip()
        if not secret:
            return new_secret()
        # A secret carried over from the earlier scheme may be short; it stays valid as it is.
        if secret != self.instance.secret:
            try:
                check_new_secret(secret)
            except ValueError:
                raise forms.ValidationError(
                    _(
                        "Enter whsec_ followed by the base64 of 24 to 64 bytes, or leave it blank "
                        "to generate one."
                    )
                ) from None
        return secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "client", "kinds", "is_active", "created_at"]
    list_filter = ["is_active", "client"]
    search_fields = ["url", "client__name"]
    list_select_related = ["client"]

    @admin.display(description=_("event kinds"))
    def kinds(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.event_kinds) or str(_("all"))


class EndpointListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        # An endpoint's name includes its client's: one query for all of them.
        return [(e.pk, str(e)) for e in WebhookEndpoint.objects.select_related("client")]


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    readonly_fields = ("attempted_at", "status_code", "error", "duration_ms")
    fields = readonly_fields


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ActionsOnlyAdmin):
    # The change permission is for the replay action; deliveries are never edited.
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    list_filter = ["status", ("endpoint", EndpointListFilter)]
    search_fields = ["event__kind", "endpoint__url"]
    list_select_related = ["event", "endpoint__client"]
    readonly_fields = (
        "event",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
    )
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["replay_deliveries"]

    @admin.action(description=_("Replay (send again now)"), permissions=["change"])
    def replay_deliveries(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        deliveries = list(queryset)
        count = replay(deliveries)
        for delivery in deliveries:
            self.log_change(request, delivery, "Replayed.")
        self.message_user(
            request,
            ngettext(
                "%(n)d delivery will be sent again.", "%(n)d deliveries will be sent again.", count
            )
            % {"n": count},
            level=messages.SUCCESS,
        )


# --- Periodic jobs ----------------------------------------------------------------------------

# What an operator may change on a periodic job: switch it on or off and retime it. What it runs
# (the task, its arguments, its routing) is code, changed by a superuser or a deployment.
RETIMING_FIELDS = [
    "enabled",
    "description",
    "interval",
    "crontab",
    "one_off",
    "start_time",
    "expires",
    "expire_seconds",
]


class RetimePeriodicTaskForm(forms.ModelForm):
    class Meta:
        model = PeriodicTask
        fields = RETIMING_FIELDS

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("expire_seconds") is not None and cleaned.get("expires"):
            raise forms.ValidationError(_("Only one can be set, in expires and expire_seconds"))
        return cleaned


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(BeatPeriodicTaskAdmin):
    """django-celery-beat's admin; a non-superuser may only enable, disable and retime a job."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # `regtask` is a form-only field (a picker of task names): nothing to show read-only.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "regtask"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return readonly
        shown = [field for _name, options in self.fieldsets for field in options["fields"]]
        return readonly + [
            field
            for field in shown
            if field not in RETIMING_FIELDS and field not in readonly and field != "regtask"
        ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if not request.user.is_superuser:
            kwargs["form"] = RetimePeriodicTaskForm
        return super().get_form(request, obj, change, **kwargs)
