"""The pieces every app's admin is built from: screens that only read, screens that change only
through their actions, add forms whose object a service makes, the body of an action, a page of
one form. Each calls the services with the signed-in operator as the actor, and shows a refusal
(DomainError) as a message or on the form, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .formatting import local_name

if TYPE_CHECKING:
    from accounts.models import User

T = TypeVar("T")
R = TypeVar("R")


class ReadOnlyPermissions:
    """Nobody adds, changes or deletes here: the rows are written by the services only."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnlyPermissions, admin.ModelAdmin):
    """Records written by the services only: operators read them."""


class ActionsOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through the actions (and the pages they lead to), each calling a
    service: nobody adds, edits or deletes one here, and the change permission is what lets one
    use the actions."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyPermissions, admin.TabularInline):
    """Rows shown on their parent's page, never edited there."""

    extra = 0
    can_delete = False


class LatestRowsFormSet(BaseInlineFormSet):
    """An inline that shows only the newest `latest` rows (its ordering says which): a ledger
    or a history grows without bound."""

    latest = 20

    def get_queryset(self) -> QuerySet[Any]:
        if not hasattr(self, "_queryset"):
            self._queryset = super().get_queryset()[: self.latest]
        return self._queryset


def admin_actor(request: HttpRequest) -> User:
    """The signed-in operator, as the services' actor."""
    return cast("User", request.user)


def report_success(model_admin: admin.ModelAdmin, request: HttpRequest, text: str) -> None:
    model_admin.message_user(request, text, level=messages.SUCCESS)


def form_error(form: forms.BaseForm, error: DomainError) -> None:
    """A service's refusal on a form: on the fields it names, and its message on top."""
    for name, errors in error.fields.items():
        form.add_error(name if name in form.fields else None, list(errors))
    form.add_error(None, error.message)


def apply_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[T],
    act: Callable[[T], R],
    done: Any = None,
    **params: Any,
) -> list[R]:
    """The body of every admin action: call the service on each selected row; a refusal
    (DomainError) is reported for that row and the others go on. `done`, an
    ngettext_lazy(singular, plural, "n"), then says how many were accepted (`params` fill its
    other placeholders), when any was. Returns what the service returned for each accepted row."""
    results: list[R] = []
    for row in rows:
        try:
            results.append(act(row))
        except DomainError as error:
            model_admin.message_user(request, f"{row}: {error.message}", level=messages.ERROR)
    if done is not None and results:
        report_success(model_admin, request, done % {"n": len(results), **params})
    return results


def form_page(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    title: Any,
    subject: Any,
    subject_url: str,
    form: forms.BaseForm,
    submit: Any,
    intro: Any = "",
) -> TemplateResponse:
    """A page of one form whose view calls a service (receive an order, count a line, assign a
    pickup, write off stock...), under its subject's breadcrumb, with the refusal on the form."""
    return TemplateResponse(
        request,
        "admin/form_page.html",
        {
            **model_admin.admin_site.each_context(request),
            "title": title,
            "opts": model_admin.opts,
            "subject": subject,
            "subject_url": subject_url,
            "intro": intro,
            "form": form,
            "submit": submit,
        },
    )


class _AddRefused(Exception):
    def __init__(self, form: forms.ModelForm[Any]) -> None:
        super().__init__()
        self.form = form


class ServiceAddAdmin(admin.ModelAdmin):
    """An add form whose object a service makes (a tender, a ledger entry, a stocking order, an
    API client). The form checks its input only; `service_add` calls the service with the
    signed-in operator as the actor and returns the object it made, which the admin then logs
    and redirects to as for any add. A refusal (DomainError) is shown on the form, on the fields
    it names, and the add view's transaction is rolled back. The add page has no inlines."""

    # Each subclass defines it: the service call that makes the object from the form's data.
    service_add: Callable[[HttpRequest, dict[str, Any]], Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not callable(getattr(cls, "service_add", None)):
            raise TypeError(f"{cls.__name__} must define service_add(request, data)")

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if change:
            return super().save_form(request, form, change)
        try:
            return self.service_add(request, form.cleaned_data)
        except DomainError as error:
            form_error(form, error)
            raise _AddRefused(form) from error

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
        # Added: the service saved it (save_form).

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _AddRefused as refused:
            return self._add_form_again(request, refused.form, form_url, extra_context)

    def _add_form_again(
        self,
        request: HttpRequest,
        form: forms.ModelForm[Any],
        form_url: str,
        extra_context: dict[str, Any] | None,
    ) -> HttpResponse:
        """The add page as Django renders an invalid form, the service's refusal on it."""
        admin_form = helpers.AdminForm(
            form,
            list(self.get_fieldsets(request)),  # type: ignore[arg-type]
            self.get_prepopulated_fields(request),
            self.get_readonly_fields(request),
            model_admin=self,
        )
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Add %s") % self.opts.verbose_name,
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, change=False, form_url=form_url)


class ServiceInputForm(forms.ModelForm):
    """The add form of a ServiceAddAdmin checks its fields (types, choices, required ones). The
    model's rules, its constraints and uniqueness among them, are the service's to check: its
    refusal names the field. So the form does not check them first (with the model's generic
    wording), nor fill an instance: the service makes the object."""

    def _post_clean(self) -> None:
        return None


class PageExtrasMixin(admin.ModelAdmin):
    """A change page with more on it (a service's form, its buttons): `page_extras` adds to the
    page's context for the object the page already loaded, so nothing is fetched twice."""

    def page_extras(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        return {}

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None:
            context.update(self.page_extras(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)


class SupplierNameColumn:
    """A `supplier_name` column: the supplier's name in the reader's language (the name in both
    languages that a supplier's str gives is too wide for a list at 1366 px)."""

    @admin.display(description=_("supplier"), ordering="supplier__name_en")
    def supplier_name(self, obj: Any) -> str:
        return local_name(obj.supplier.name_en, obj.supplier.name_zh)
