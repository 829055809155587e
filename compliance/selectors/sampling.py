"""Who sees which sampling requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from suppliers.selectors import supplier_id_for

from ..models import SamplingRequest

if TYPE_CHECKING:
    from accounts.models import User

RS = SamplingRequest.Status
# A supplier sees a request once its units are pulled: before that a test purchase is not
# announced (a seller warned of it could ship a better unit), and a request cancelled before
# the pull never concerned it.
SHOWN_TO_SUPPLIER = (RS.UNITS_PULLED, RS.SENT_TO_LAB, RS.RESULT_RECORDED)


def sampling_requests_visible_to(user: User) -> QuerySet[SamplingRequest]:
    """A supplier's people: their own listings' requests from the pull on; staff with the view
    permission: all of them; anyone else: none."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return SamplingRequest.objects.filter(supplier_id=supplier_id, status__in=SHOWN_TO_SUPPLIER)
    if user.has_perm("compliance.view_samplingrequest"):
        return SamplingRequest.objects.all()
    return SamplingRequest.objects.none()
