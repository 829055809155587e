"""Who may enter the portal: signed-in users who act for a supplier."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.models import User
from suppliers.models import Membership


class SupplierRequest(HttpRequest):
    user: User
    membership: Membership


def supplier_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in and a member of a supplier; the membership is on `request.membership`.
    Staff and integrator accounts get 403: the portal only shows a supplier's own data."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = (
            Membership.objects.select_related("supplier")
            .filter(user=cast(User, request.user))
            .first()
        )
        if membership is None:
            raise PermissionDenied(_("The seller portal is for supplier accounts."))
        request.membership = membership  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper
