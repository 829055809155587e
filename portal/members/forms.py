"""The members pages' forms: an invitation, and accepting one with a new account."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User

from ..onboarding.forms import NewPasswordForm, username_field


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )


class InvitationAcceptForm(NewPasswordForm):
    field_order = ["username", "full_name", "password1", "password2"]

    username = username_field()
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def new_user(self) -> User:
        first, _sep, last = self.cleaned_data.get("full_name", "").partition(" ")
        return User(
            username=self.cleaned_data.get("username", ""),
            email=self.email,
            first_name=first,
            last_name=last,
        )
