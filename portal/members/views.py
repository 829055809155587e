"""The supplier's people: invitations, removal and the hand-over of ownership (the owner's), the
list (everyone's), and the public page where an invited colleague joins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from marketplace.errors import DomainError, ErrorKind
from suppliers.models import Invitation, Membership
from suppliers.selectors import invitations_open
from suppliers.services.members import (
    invitation_accept,
    invitation_cancel,
    invitation_open,
    invitation_send,
    member_remove,
    ownership_transfer,
)

from ..access import SupplierRequest, check_owner, supplier_required
from ..errors import error_summary, show_domain_error
from ..onboarding.views import MODEL_BACKEND
from .forms import InvitationAcceptForm, InvitationForm


def _member(request: SupplierRequest, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "supplier"),
        pk=pk,
        supplier_id=request.membership.supplier_id,
    )


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.username


@supplier_required
@require_http_methods(["GET", "POST"])
def members(request: SupplierRequest) -> HttpResponse:
    membership = request.membership
    supplier = membership.supplier
    form = None
    if request.method == "POST":
        check_owner(membership)
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                invitation, _link = invitation_send(
                    membership,
                    email=form.cleaned_data["email"],
                    base_url=request.build_absolute_uri("/"),
                )
            except DomainError as error:
                show_domain_error(request, error, form)
            else:
                messages.success(
                    request,
                    _("An invitation is on its way to %(email)s.") % {"email": invitation.email},
                )
                return redirect("portal:members")
    elif membership.is_owner:
        form = InvitationForm()
    people = supplier.memberships.select_related("user").order_by("role", "user__username")
    invitations = (
        invitations_open(supplier.pk) if membership.is_owner else Invitation.objects.none()
    )
    return render(
        request,
        "portal/members.html",
        {
            "supplier": supplier,
            "form": form,
            "people": list(people),
            "invitations": list(invitations),
            "is_owner": membership.is_owner,
        },
    )


@supplier_required
@require_POST
def invitation_cancel_view(request: SupplierRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, supplier_id=request.membership.supplier_id)
    try:
        invitation_cancel(request.membership, invitation)
    except DomainError as error:
        show_domain_error(request, error)
    else:
        messages.success(
            request, _("The invitation to %(email)s is cancelled.") % {"email": invitation.email}
        )
    return redirect("portal:members")


@supplier_required
@require_POST
def member_remove_view(request: SupplierRequest, pk: int) -> HttpResponse:
    member = _member(request, pk)
    try:
        member_remove(request.membership, member)
    except DomainError as error:
        show_domain_error(request, error)
    else:
        messages.success(request, _("%(name)s is removed.") % {"name": _name(member)})
    return redirect("portal:members")


@supplier_required
@require_http_methods(["GET", "POST"])
def ownership_transfer_view(request: SupplierRequest, pk: int) -> HttpResponse:
    """Handing the supplier to a colleague: a page that asks, then the hand-over."""
    member = _member(request, pk)
    check_owner(request.membership)
    if member.pk == request.membership.pk:
        messages.info(request, _("You are already the owner."))
        return redirect("portal:members")
    if request.method == "POST":
        try:
            ownership_transfer(request.membership, member)
        except DomainError as error:
            show_domain_error(request, error)
        else:
            messages.success(request, _("%(name)s is now the owner.") % {"name": _name(member)})
        return redirect("portal:members")
    return render(
        request,
        "portal/member_transfer.html",
        {"member": member, "supplier_name": request.membership.supplier.name_zh},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the invited colleague makes an account and joins as staff."""

    def invalid() -> HttpResponse:
        return render(request, "portal/invitation_invalid.html", status=404)

    try:
        invitation = invitation_open(token)
    except DomainError:
        return invalid()
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None, email=invitation.email
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitation_accept(
                token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except DomainError as error:
            if error.kind == ErrorKind.NOT_FOUND:
                return invalid()
            show_domain_error(request, error, form)
        else:
            login(request, membership.user, backend=MODEL_BACKEND)
            messages.success(
                request,
                _("Welcome to %(supplier)s.") % {"supplier": invitation.supplier.name_zh},
            )
            return redirect("portal:dashboard")
    return render(
        request,
        "portal/invitation_accept.html",
        {"invitation": invitation, "form": form, "errors": error_summary(form)},
    )
