"""Who may enter the portal: signed-in users who act for a supplier."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError
from suppliers.models import Membership
from suppliers.services.members import require_owner

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


class SupplierRequest(HttpRequest):
    user: User
    membership: Membership


def supplier_required(view: Callable[..., ResponseT]) -> Callable[..., ResponseT]:
    """Signed in and a member of a supplier; the membership is on `request.membership`.
    Staff and integrator accounts get 403: the portal only shows a supplier's own data."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> ResponseT:
        membership = (
            Membership.objects.select_related("supplier", "user")
            .filter(user=cast(User, request.user))
            .first()
        )
        if membership is None:
            raise PermissionDenied(_("The seller portal is for supplier accounts."))
        request.membership = membership  # type: ignore[attr-defined]
        # The selectors ask the user which supplier it acts for (`supplier_id_for`): answered
        # from this membership, without a second query.
        request.user.supplier_membership = membership  # type: ignore[union-attr]
        return view(request, *args, **kwargs)

    return wrapper


def check_owner(membership: Membership) -> None:
    """Money and membership changes are the owner's (the members service's rule); anyone else
    gets the 403 page."""
    try:
        require_owner(membership)
    except DomainError as error:
        raise PermissionDenied(error.message) from error
