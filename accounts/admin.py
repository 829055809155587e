from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from marketplace.admin_base import ServiceAddAdmin, admin_actor

from .models import ApiClient, ApiKey, Scope, User
from .services import api_client_create, api_key_issue, api_key_revoke


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "role_names", "last_login"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, user: User) -> str:
        return ", ".join(group.name for group in user.groups.all())


@never_cache
def show_new_keys(
    request: HttpRequest, admin_view: admin.ModelAdmin, keys: Sequence[tuple[object, str]]
) -> HttpResponse:
    """The one time a plain key is shown: on the page answering the request that made it (never
    in a message, which Django keeps in a cookie or the session)."""
    opts = admin_view.model._meta
    context = {
        **admin_view.admin_site.each_context(request),
        "title": _("Copy the new API key"),
        "opts": opts,
        "keys": keys,
        "back_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    return TemplateResponse(request, "admin/accounts/new_keys.html", context)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiClient
        fields = ["name", "kind", "contact_email", "scopes", "is_active"]


@admin.register(ApiClient)
class ApiClientAdmin(ServiceAddAdmin):
    form = ApiClientForm
    list_display = ["name", "kind", "scope_list", "is_active", "created_at"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "contact_email"]
    actions = ["issue_key", "deactivate"]

    @admin.display(description=_("scopes"))
    def scope_list(self, client: ApiClient) -> str:
        return ", ".join(client.scopes)

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> ApiClient:
        client, plain = api_client_create(
            name=data["name"],
            kind=data["kind"],
            scopes=data["scopes"],
            contact_email=data["contact_email"],
            actor=admin_actor(request),
        )
        request._new_api_keys = [(client, plain)]  # type: ignore[attr-defined]
        return client

    def response_add(self, request: HttpRequest, obj: ApiClient, *args: Any) -> HttpResponse:
        keys = getattr(request, "_new_api_keys", None)
        if keys:
            return show_new_keys(request, self, keys)
        return super().response_add(request, obj, *args)

    @admin.action(description=_("Issue a new key for the selected clients"), permissions=["change"])
    def issue_key(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> HttpResponse:
        keys = []
        for client in queryset.select_related("user").annotate(n=Count("user__api_keys")):
            _key, plain = api_key_issue(
                user=client.user,
                name=f"{client.name} key {client.n + 1}",
                actor=request.user,  # type: ignore[arg-type]
            )
            keys.append((client, plain))
        return show_new_keys(request, self, keys)

    @admin.action(
        description=_("Deactivate the selected clients (all keys stop)"), permissions=["change"]
    )
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        count = queryset.update(is_active=False)
        self.message_user(
            request,
            ngettext("%(n)d client deactivated.", "%(n)d clients deactivated.", count)
            % {"n": count},
        )


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["user", "name"]

    def clean_user(self) -> User:
        user: User = self.cleaned_data["user"]
        if user.is_staff or not (
            hasattr(user, "api_client") or hasattr(user, "supplier_membership")
        ):
            raise forms.ValidationError(
                _("Keys are issued to an API client's account or to a supplier user.")
            )
        return user


@admin.register(ApiKey)
class ApiKeyAdmin(ServiceAddAdmin):
    form = ApiKeyForm
    list_display = ["name", "user", "key_lookup", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["name", "lookup", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "key_lookup",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    @admin.display(description=_("key"))
    def key_lookup(self, key: ApiKey) -> str:
        return f"{ApiKey.PREFIX}_{key.lookup}_…" if key.lookup else "—"

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        return ["user", "name"] if obj is None else ["user", "name", *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        return self.readonly_fields if obj is None else ["user", *self.readonly_fields]

    def service_add(self, request: HttpRequest, data: dict[str, Any]) -> ApiKey:
        key, plain = api_key_issue(user=data["user"], name=data["name"], actor=admin_actor(request))
        request._new_api_keys = [(key.user, plain)]  # type: ignore[attr-defined]
        return key

    def response_add(self, request: HttpRequest, obj: ApiKey, *args: Any) -> HttpResponse:
        keys = getattr(request, "_new_api_keys", None)
        if keys:
            return show_new_keys(request, self, keys)
        return super().response_add(request, obj, *args)

    @admin.action(description=_("Revoke the selected keys (immediately)"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(key=key, actor=request.user)  # type: ignore[arg-type]
        self.message_user(request, _("Keys revoked; requests made with them are now refused."))
