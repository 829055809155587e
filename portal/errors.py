"""How a service's refusal (DomainError) reaches a person in the portal: beside the field it
names when that field is on the page, else as a flash message; a 403 or 404 refusal is the
matching error page. Never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

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


def error_summary(
    *forms_on_page: forms.BaseForm | None, factories: forms.BaseFormSet | None = None
) -> list[tuple[str, str, str]]:
    """(label, anchor, messages) for each error on the page, for the box at its top. An error
    shown beside a field or a factory row has that anchor (the box links to it); one with no
    anchor is shown in the box alone."""
    items: list[tuple[str, str, str]] = []

    def add(form: forms.BaseForm, prefix: str = "", anchor: str = "") -> None:
        for name, errors in form.errors.items():
            if name == NON_FIELD_ERRORS:
                label = prefix.removesuffix(" · ")
                items.append((label, anchor, " ".join(str(error) for error in errors)))
            else:
                field = form[name]
                text = " ".join(str(error) for error in errors)
                items.append((prefix + str(field.label), field.id_for_label, text))

    for form in forms_on_page:
        if form is not None and form.is_bound:
            add(form)
    if factories is not None and factories.is_bound:
        for message in factories.non_form_errors():
            items.append((str(_("Factories")), "factories", str(message)))
        for number, form in enumerate(factories.forms, 1):
            label = _("Factory %(number)d") % {"number": number}
            add(form, prefix=label + " · ", anchor=form.prefix)
    return items
