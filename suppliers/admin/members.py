"""Who acts for a supplier: memberships, and the invitations the owners send (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from marketplace.admin_base import ReadOnlyAdmin

from ..models import Invitation, Membership


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "supplier", "role"]

    def clean_user(self) -> User:
        user: User = self.cleaned_data["user"]
        if user.is_staff:
            raise forms.ValidationError(
                _("Staff act for the marketplace, not for a supplier: choose a supplier user.")
            )
        if hasattr(user, "api_client"):
            raise forms.ValidationError(_("This is an API client's account, not a person."))
        taken = Membership.objects.filter(user=user).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This user already acts for a supplier."))
        return user


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "supplier", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["user", "supplier"]
    raw_id_fields = ["user", "supplier"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = [
        "email",
        "supplier",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "cancelled_at",
    ]
    list_filter = [("accepted_at", admin.EmptyFieldListFilter), "created_at"]
    search_fields = ["email", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["supplier", "invited_by"]
    readonly_fields = (
        "supplier",
        "email",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "cancelled_at",
    )
    fields = readonly_fields
