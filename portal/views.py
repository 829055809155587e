from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import ApiKey
from accounts.services import api_key_issue, api_key_revoke
from suppliers.selectors import supplier_balance

from .access import SupplierRequest, supplier_required
from .context import unread_count
from .wording import jit_reason


class PortalAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Wrong username or password. After several failed attempts, sign-in is locked "
            "for a while."
        ),
    }


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        help_text=gettext_lazy("What the key is for, e.g. “ERP sync”."),
    )


@supplier_required
def dashboard(request: SupplierRequest) -> HttpResponse:
    supplier = request.membership.supplier
    members = list(supplier.memberships.select_related("user").order_by("role", "user__username"))
    live_keys = ApiKey.objects.filter(user=request.user, revoked_at__isnull=True).count()
    balance = supplier_balance(supplier.pk)
    return render(
        request,
        "portal/dashboard.html",
        {
            "supplier": supplier,
            "members": members,
            "live_keys": live_keys,
            "balance": balance,
            "jit_reason": jit_reason(supplier, balance),
            "unread": unread_count(request),
        },
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def api_keys(request: SupplierRequest) -> HttpResponse:
    """A supplier user's own API keys: through them the API shows only its supplier's data."""
    form = ApiKeyForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _key, new_key = api_key_issue(
            user=request.user,
            name=form.cleaned_data["name"],
            actor=request.user,
        )
        form = ApiKeyForm()
    keys = ApiKey.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    return render(request, "portal/api_keys.html", {"form": form, "keys": keys, "new_key": new_key})


@supplier_required
@require_POST
def api_key_revoke_view(request: SupplierRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(ApiKey, pk=pk, user=request.user)
    api_key_revoke(key=key, actor=request.user)
    messages.success(request, _("The key “%(name)s” is revoked.") % {"name": key.name})
    return redirect("portal:api_keys")


def locked_out(
    request: HttpRequest, response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page shown on the admin and the portal once a login is locked out (django-axes)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/locked_out.html", context, status=429)
