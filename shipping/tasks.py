"""Celery entry points of shipping: take ids or nothing, call a service."""

from __future__ import annotations

from celery import shared_task

from .services.customs import customs_decide_due
from .services.holds import parcels_recheck_holds
from .services.late import parcels_flag_late


@shared_task
def customs_decide_due_task() -> str:
    """Decide the customs of parcels without a decision or whose ship date moved."""
    return f"{customs_decide_due()} customs decisions"


@shared_task
def parcels_flag_late_task() -> str:
    """Flag parcels past the delivery target (DELIVERY_TARGET_DAYS since pickup), once each."""
    return f"{parcels_flag_late()} parcels flagged late"


@shared_task
def parcels_recheck_holds_task() -> str:
    """Release held parcels the compliance answer now allows to ship."""
    return f"{parcels_recheck_holds()} held parcels released"
