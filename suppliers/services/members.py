"""A supplier's people: the owner invites colleagues (staff), removes them, and may hand the
ownership to one of them. Staff see everything of their supplier but change no money and no
membership."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from marketplace.errors import DomainError, ErrorKind
from marketplace.events import record_event

from ..models import Invitation, Membership, Supplier


def require_owner(membership: Membership) -> None:
    if not membership.is_owner:
        raise DomainError(
            "owner_only", _("Only the supplier's owner may do this."), kind=ErrorKind.FORBIDDEN
        )


def require_owner_of(actor: User | None, supplier: Supplier, *, staff_may: bool = False) -> None:
    """Money and membership changes are the owner's. `staff_may`: marketplace staff (and the
    system, with no actor) may also act, e.g. enrol a supplier on its behalf."""
    membership = getattr(actor, "supplier_membership", None)
    if membership is not None and membership.supplier_id == supplier.pk:
        require_owner(membership)
        return
    if staff_may and (actor is None or actor.is_staff):
        return
    raise DomainError(
        "owner_only", _("Only the supplier's owner may do this."), kind=ErrorKind.FORBIDDEN
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_send(membership: Membership, *, email: str, base_url: str) -> tuple[Invitation, str]:
    """The owner invites a colleague by email: a single-use link valid INVITATION_VALID_DAYS.
    Returns the invitation and the link (also emailed)."""
    require_owner(membership)
    email = email.strip().lower()
    if Membership.objects.filter(
        supplier_id=membership.supplier_id, user__email__iexact=email
    ).exists():
        raise DomainError(
            "already_member",
            _("This person is already a member."),
            fields={"email": [_("Already a member.")]},
            kind=ErrorKind.INVALID,
        )
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            supplier_id=membership.supplier_id,
            email=email,
            token_hash=_token_hash(token),
            invited_by=membership.user,
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        link = base_url.rstrip("/") + reverse("portal:invitation_accept", args=[token])
        supplier = membership.supplier
        record_event(
            "supplier.member_invited",
            actor=membership.user,
            supplier=supplier,
            subject=invitation,
            payload={"email": email},
        )
        transaction.on_commit(
            lambda: send_mail(
                _("Join %(supplier)s on the seller portal") % {"supplier": supplier.name_zh},
                _(
                    "%(owner)s invites you to the seller portal of %(supplier)s. Accept within "
                    "%(days)d days: %(link)s"
                )
                % {
                    "owner": membership.user.get_full_name() or membership.user.username,
                    "supplier": supplier.name_zh,
                    "days": settings.INVITATION_VALID_DAYS,
                    "link": link,
                },
                None,
                [email],
            )
        )
    return invitation, link


def invitation_open(token: str) -> Invitation:
    """The invitation behind a link, if it can still be used."""
    invitation = (
        Invitation.objects.select_related("supplier").filter(token_hash=_token_hash(token)).first()
    )
    if invitation is None or not invitation.is_open:
        raise DomainError(
            "invitation_invalid",
            _("This invitation link is invalid, expired or already used."),
            kind=ErrorKind.NOT_FOUND,
        )
    return invitation


def invitation_accept(
    token: str, *, username: str, password: str, full_name: str = ""
) -> Membership:
    with transaction.atomic():
        invitation = invitation_open(token)
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation.is_open:  # accepted by a concurrent request
            raise DomainError(
                "invitation_invalid",
                _("This invitation link is invalid, expired or already used."),
                kind=ErrorKind.NOT_FOUND,
            )
        if User.objects.filter(username__iexact=username).exists():
            raise DomainError(
                "username_taken",
                _("This username is taken."),
                fields={"username": [_("Taken.")]},
                kind=ErrorKind.INVALID,
            )
        first, _sep, last = full_name.strip().partition(" ")
        user = User.objects.create_user(
            username=username,
            email=invitation.email,
            password=password,
            first_name=first,
            last_name=last,
        )
        membership = Membership.objects.create(
            user=user, supplier=invitation.supplier, role=Membership.Role.STAFF
        )
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        record_event(
            "supplier.member_joined",
            actor=user,
            supplier=invitation.supplier,
            subject=membership,
            payload={"username": username},
        )
    return membership


def invitation_cancel(membership: Membership, invitation: Invitation) -> None:
    require_owner(membership)
    Invitation.objects.filter(
        pk=invitation.pk, supplier_id=membership.supplier_id, accepted_at__isnull=True
    ).update(cancelled_at=timezone.now())


def member_remove(owner: Membership, member: Membership) -> None:
    """The owner removes a colleague, whose account is deactivated (it belongs to no one else)."""
    require_owner(owner)
    if member.supplier_id != owner.supplier_id:
        raise DomainError("not_found", _("No such member."), kind=ErrorKind.NOT_FOUND)
    if member.pk == owner.pk:
        raise DomainError(
            "cannot_remove_owner", _("Hand the ownership to someone else before leaving.")
        )
    with transaction.atomic():
        user = member.user
        member.delete()
        user.is_active = False
        user.save(update_fields=["is_active"])
        record_event(
            "supplier.member_removed",
            actor=owner.user,
            supplier=owner.supplier,
            payload={"username": user.username},
        )


def ownership_transfer(owner: Membership, new_owner: Membership) -> None:
    require_owner(owner)
    if new_owner.supplier_id != owner.supplier_id:
        raise DomainError("not_found", _("No such member."), kind=ErrorKind.NOT_FOUND)
    if new_owner.pk == owner.pk:
        return
    with transaction.atomic():
        # The old owner steps down first: one owner per supplier is a database constraint.
        Membership.objects.filter(pk=owner.pk).update(role=Membership.Role.STAFF)
        Membership.objects.filter(pk=new_owner.pk).update(role=Membership.Role.OWNER)
        record_event(
            "supplier.owner_changed",
            actor=owner.user,
            supplier=owner.supplier,
            payload={"from": owner.user.username, "to": new_owner.user.username},
        )
    owner.role, new_owner.role = Membership.Role.STAFF, Membership.Role.OWNER
