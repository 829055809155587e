"""The live figures on the operator dashboard (the admin index)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db.models import Count, Q, Sum
from django.utils import timezone

from accounts.models import ApiClient, ApiKey, User
from catalogue.models import Listing
from catalogue.selectors import price_rounds_awaiting_operator, tenders_closing_within
from suppliers.models import LedgerEntry, Supplier, WithdrawalRequest

from .models import JobRun, WebhookDelivery


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    percent: int


def _bars(pairs: list[tuple[str, int]]) -> list[Bar]:
    peak = max((value for _, value in pairs), default=0) or 1
    return [Bar(label, value, round(100 * value / peak)) for label, value in pairs]


def suppliers_by_status() -> list[Bar]:
    counts = dict(Supplier.objects.values_list("status").annotate(n=Count("id")).order_by())
    return _bars([(str(label), counts.get(value, 0)) for value, label in Supplier.Status.choices])


def users_by_role() -> list[Bar]:
    groups = list(
        Group.objects.annotate(n=Count("user", filter=Q(user__is_active=True)))
        .order_by("name")
        .values_list("name", "n")
    )
    others = User.objects.filter(is_active=True).aggregate(
        suppliers=Count("id", filter=Q(supplier_membership__isnull=False)),
        integrators=Count("id", filter=Q(api_client__isnull=False)),
        superusers=Count("id", filter=Q(is_superuser=True)),
    )
    return _bars(
        [(name.capitalize(), n) for name, n in groups]
        + [
            ("Supplier users", others["suppliers"]),
            ("Integrator accounts", others["integrators"]),
            ("Superusers", others["superusers"]),
        ]
    )


def api_client_figures() -> dict[str, Any]:
    since = timezone.now() - timedelta(days=1)
    clients = ApiClient.objects.aggregate(
        active=Count("id", filter=Q(is_active=True)),
        inactive=Count("id", filter=Q(is_active=False)),
    )
    keys = ApiKey.objects.aggregate(
        live=Count("id", filter=Q(revoked_at__isnull=True)),
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
        used_today=Count("id", filter=Q(last_used_at__gte=since)),
    )
    return {**clients, **{f"keys_{name}": n for name, n in keys.items()}}


def supplier_work_figures() -> dict[str, Any]:
    """What waits for someone, and the money held: a handful of aggregates, whatever the data."""
    suppliers = Supplier.objects.aggregate(
        jit_enrolled=Count("id", filter=Q(jit_status=Supplier.JitStatus.ENROLLED)),
        jit_paused=Count("id", filter=Q(jit_status=Supplier.JitStatus.PAUSED)),
        # An application the applicant is changing waits for the applicant, not for us.
        awaiting_review=Count(
            "id", filter=Q(status=Supplier.Status.APPLIED, changes_requested=False)
        ),
    )
    deposits = LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    withdrawals = WithdrawalRequest.objects.filter(
        status=WithdrawalRequest.Status.REQUESTED
    ).count()
    webhooks = WebhookDelivery.objects.aggregate(
        failed=Count("id", filter=Q(status=WebhookDelivery.Status.FAILED)),
        pending=Count("id", filter=Q(status=WebhookDelivery.Status.PENDING)),
    )
    return {
        **suppliers,
        "deposits_held": deposits,
        "withdrawals_pending": withdrawals,
        "webhooks_failed": webhooks["failed"],
        "webhooks_pending": webhooks["pending"],
    }


@dataclass(frozen=True)
class StatusBar(Bar):
    status: str


def listings_by_status() -> list[StatusBar]:
    counts = dict(Listing.objects.values_list("status").annotate(n=Count("id")).order_by())
    bars = _bars([(str(label), counts.get(value, 0)) for value, label in Listing.Status.choices])
    return [
        StatusBar(bar.label, bar.value, bar.percent, status)
        for bar, status in zip(bars, Listing.Status.values, strict=True)
    ]


def catalogue_work_figures() -> dict[str, int]:
    """What waits for an operator in the catalogue."""
    return {
        "rounds_waiting": price_rounds_awaiting_operator().count(),
        "tenders_closing": tenders_closing_within(hours=24).count(),
    }


def dashboard_figures() -> dict[str, Any]:
    return {
        "suppliers_by_status": suppliers_by_status(),
        "users_by_role": users_by_role(),
        "api": api_client_figures(),
        "work": supplier_work_figures(),
        "listings_by_status": listings_by_status(),
        "catalogue": catalogue_work_figures(),
        "recent_jobs": list(JobRun.objects.all()[:5]),
    }
