"""How a service's refusal (DomainError) reaches a person in the portal: beside the field it
names when that field is on the page, else as a flash message; a 403 or 404 refusal is the
matching error page. Never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from marketplace.errors import DomainError, ErrorKind

T = TypeVar("T")


def show_domain_error(
    request: HttpRequest, error: DomainError, *forms_on_page: forms.BaseForm | None
) -> None:
    """Put `error` where the person will see it. Raises PermissionDenied for a forbidden refusal and
    Http404 for a not-found one (the caller's `except` then ends in the error page)."""
    if error.kind == ErrorKind.FORBIDDEN:
        raise PermissionDenied(error.message)
    if error.kind == ErrorKind.NOT_FOUND:
        raise Http404(error.message)
    placed = False
    for form in forms_on_page:
        if form is None:
            continue
        for name, field_errors in error.fields.items():
            if name in form.fields:
                form.add_error(name, list(field_errors))
                placed = True
    if not placed:
        messages.error(request, error.message)


def act(request: HttpRequest, service: Callable[[], T], done: str) -> T | None:
    """Run a button's service: its result and the `done` message, or None and the refusal
    shown (as `show_domain_error` does)."""
    try:
        result = service()
    except DomainError as error:
        show_domain_error(request, error)
        return None
    messages.success(request, done)
    return result
