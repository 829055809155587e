"""Helpers shared by the suppliers admin screens."""

from __future__ import annotations

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class ReasonActionForm(ActionForm):
    """The action bar with a reason, which the actions pass to the services."""

    reason = forms.CharField(
        label=_("Reason:"),
        required=False,
        widget=forms.TextInput(attrs={"size": 50, "placeholder": _("required to reject or stop")}),
    )


def _reason(request: HttpRequest) -> str:
    return request.POST.get("reason", "").strip()
