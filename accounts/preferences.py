"""An operator's own preferences in the admin ("My preferences", beside "Change password"):
the time zone the admin shows every time in."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from functools import cache
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import User


def _offset(zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    minutes = int((now.astimezone(zone).utcoffset() or timedelta()).total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


@cache
def _zone_names() -> tuple[str, ...]:
    # Region/City names only: the rest (EST5EDT, Etc/GMT+3, ...) are aliases nobody looks for.
    names = (name for name in zoneinfo.available_timezones() if "/" in name)
    return (*sorted(name for name in names if not name.startswith("Etc/")), "UTC")


def time_zone_choices() -> list[tuple[str, str]]:
    """Blank (the default zone, named) first, then every zone with its offset today."""
    now = timezone.now()
    default = settings.DEFAULT_OPERATOR_TIME_ZONE
    blank = gettext("Default: %(zone)s (%(offset)s)") % {
        "zone": default,
        "offset": _offset(zoneinfo.ZoneInfo(default), now),
    }
    return [("", blank)] + [
        (name, f"{name} ({_offset(zoneinfo.ZoneInfo(name), now)})") for name in _zone_names()
    ]


class TimeZoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("time zone"))
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", _("The admin shows you every time in this zone; storage stays UTC.")
        )
        super().__init__(choices=time_zone_choices, **kwargs)


class PreferencesForm(forms.ModelForm):
    time_zone = TimeZoneField()

    class Meta:
        model = User
        fields = ["time_zone"]


def preferences_view(request: HttpRequest, site: AdminSite) -> HttpResponse:
    """The signed-in staff user's own preferences; nobody else's."""
    user = cast(User, request.user)
    form = PreferencesForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request,
            gettext("Your preferences are saved: times are shown in %(zone)s.")
            % {"zone": user.operator_time_zone().key},
        )
        return redirect("admin:preferences")
    context = {
        **site.each_context(request),
        "title": _("My preferences"),
        "form": form,
        "now": timezone.now(),
        "zone": user.operator_time_zone().key,
    }
    return TemplateResponse(request, "admin/accounts/preferences.html", context)
