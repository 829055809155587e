"""Scopes: what an authenticated caller may do through the API.

A view names the scope each method needs in `required_scopes` (reads need `read` unless the view
says otherwise). Integrators have their client's scopes; supplier users have the supplier scopes
and see only their own supplier's data; staff signed in to the admin may read.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import MethodNotAllowed
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import Scope
from accounts.services import scopes_for_user


def request_scopes(request: Request) -> frozenset[str]:
    if not request.user or not request.user.is_authenticated:
        return frozenset()
    cached = getattr(request, "_scopes", None)
    if cached is None:
        cached = scopes_for_user(request.user)
        request._scopes = cached  # type: ignore[attr-defined]
    return cached


class HasScope(BasePermission):
    message = "Your API key does not have the scope this operation needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        # A method the resource does not have is a 405 for everyone, not a missing scope.
        method = (request.method or "").lower()
        if method not in view.http_method_names or not hasattr(view, method):
            raise MethodNotAllowed(request.method or "")
        if not request.user or not request.user.is_authenticated:
            return False
        required = getattr(view, "required_scopes", {}).get(request.method)
        if required is None:
            if request.method not in SAFE_METHODS:
                return False
            required = Scope.READ.value
        if required in request_scopes(request):
            return True
        self.message = f"This operation needs the scope `{required}`."
        return False
