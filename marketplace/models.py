"""Shared records of the project package: job runs, the event outbox and webhook deliveries.
The catalogue joins them with its own issue."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .signing import new_secret


class JobRun(models.Model):
    """One run of a long job (a sweep, a nightly planner, a seed): its progress and outcome, so
    operators can watch it in the admin while it runs."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("job"), max_length=100, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    done = models.PositiveBigIntegerField(_("done"), default=0)
    summary = models.TextField(_("summary"), blank=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")

    def __str__(self) -> str:
        return f"{self.name} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.status == self.Status.SUCCEEDED else None
        return min(100, round(100 * self.done / self.total))


class Event(models.Model):
    """A state change, written in the same transaction as the change (the outbox).

    Webhook deliveries and the supplier's notifications are made from these rows, so a change
    that committed always produces its messages and one that rolled back never does.
    """

    kind = models.CharField(_("kind"), max_length=60)
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    # The supplier the event concerns: it sees the event in its portal notifications.
    # `supplier` and `subject_type` have no foreign-key constraint in the database: the sweep
    # writes two events per penalty, and checking both keys of each at commit cost it about a
    # fifth of its time (bench/jit_sweep.py). Both are written from rows that exist (the
    # writer's own supplier and content type, in its transaction); suppliers and content types
    # are never deleted, and PROTECT still refuses deleting one through Django while an event
    # names it.
    supplier = models.ForeignKey(
        "suppliers.Supplier",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("supplier"),
        db_index=False,  # event_supplier_recent leads with it
        db_constraint=False,
    )
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # event_subject leads with it
        db_constraint=False,
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    reason = models.TextField(_("reason"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        # Few indexes: the sweep writes an event per penalty, tens of thousands at a time.
        indexes = [
            models.Index(fields=["supplier", "-occurred_at"], name="event_supplier_recent"),
            models.Index(fields=["kind", "-occurred_at"], name="event_kind_recent"),
            models.Index(fields=["subject_type", "subject_id"], name="event_subject"),
        ]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class WebhookEndpoint(models.Model):
    """Where an integrator wants events POSTed, signed with its secret."""

    client = models.ForeignKey(
        "accounts.ApiClient", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    # `whsec_<base64>` (Standard Webhooks, marketplace/signing.py).
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        default=new_secret,
        help_text=_("Shared with the receiver."),
    )
    # Endpoints registered before deliveries were signed per Standard Webhooks also get the
    # earlier X-Marketplace-* signature headers, until their receivers have moved over.
    legacy_signature = models.BooleanField(
        _("also send the earlier signature headers"),
        default=False,
        help_text=_(
            "X-Marketplace-Signature and X-Marketplace-Timestamp, for receivers that do not "
            "verify the webhook-signature header yet. Turn off once they do."
        ),
    )
    event_kinds = models.JSONField(
        _("event kinds"),
        default=list,
        blank=True,
        help_text=_("Leave empty for every kind."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["client", "url"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.client} → {self.url}"

    def wants(self, kind: str) -> bool:
        return not self.event_kinds or kind in self.event_kinds


class WebhookDelivery(models.Model):
    """One event to one endpoint, retried with exponential back-off until it succeeds or its
    retry window closes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When a worker may next try; while one is sending, it is pushed ahead by the send lease,
    # so a worker that dies mid-send leaves the delivery to be retried after the lease.
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(_("attempted"), default=timezone.now)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        ordering = ["-attempted_at", "-id"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
