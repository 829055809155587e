"""Who may read which parcels, and the reads that carry a rule: the seller's parcels to ship, the
hold queue, the batch's eligible parcels, a held parcel's reasons in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import pgettext_lazy

from accounts.models import User
from compliance.selectors.answer import Reason, render_reason
from suppliers.selectors import supplier_id_for

from ..models import AirFreightBatch, Parcel


def parcels_visible_to(user: User) -> QuerySet[Parcel]:
    """A supplier user sees its own supplier's parcels; integrators (carriers, storefronts) and
    staff who may view parcels see all."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Parcel.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client") or user.has_perm("shipping.view_parcel"):
        return Parcel.objects.all()
    return Parcel.objects.none()


def batches_visible_to(user: User) -> QuerySet[AirFreightBatch]:
    if supplier_id_for(user) is None and user.has_perm("shipping.view_airfreightbatch"):
        return AirFreightBatch.objects.all()
    return AirFreightBatch.objects.none()


def to_ship(parcels: QuerySet[Parcel]) -> QuerySet[Parcel]:
    """The seller's own parcels waiting for its carrier and tracking number."""
    return parcels.filter(mode=Parcel.Mode.SELLER, status=Parcel.Status.CREATED, tracking_number="")


def held(parcels: QuerySet[Parcel]) -> QuerySet[Parcel]:
    """The hold queue: parcels the compliance answer refused to let leave."""
    return parcels.filter(held_at__isnull=False)


def batch_eligible(parcels: QuerySet[Parcel], batch: AirFreightBatch) -> QuerySet[Parcel]:
    """Parcels that may join the open batch: the platform's, for its market, not left yet, not
    held, in no batch."""
    return parcels.filter(
        mode=Parcel.Mode.PLATFORM,
        market=batch.market,
        status=Parcel.Status.CREATED,
        held_at__isnull=True,
        batch__isnull=True,
    )


def late(parcels: QuerySet[Parcel]) -> QuerySet[Parcel]:
    return parcels.filter(late_flagged_at__isnull=False)


def hold_reason_texts(parcel: Parcel) -> list[str]:
    """The reasons the parcel is held, each the compliance answer's sentence in the active
    language (stored as data: code, standard, date, fields)."""
    return [render_reason(_reason(data)) for data in parcel.hold_reasons or []]


def _reason(data: dict[str, Any]) -> Reason:
    on = data.get("on")
    return Reason(
        code=str(data.get("code", "")),
        standard=data.get("standard"),
        on=date.fromisoformat(on) if on else None,
        fields=tuple(data.get("fields") or ()),
    )


# The parcel's states as people read them: "Created" alone reads as a time in Chinese.
STATUS_LABELS = {
    **dict(Parcel.Status.choices),
    Parcel.Status.CREATED: pgettext_lazy("parcel status", "Created"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))
