"""Members: the owner invites, removes and hands over ownership; staff only look; an invitation
link works once and expires."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from marketplace.models import Event
from suppliers.models import Invitation, Membership
from suppliers.services.members import invitation_send
from tests.factories.accounts import PASSWORD
from tests.factories.suppliers import MembershipFactory, SupplierFactory

from .support import NEW_PASSWORD

pytestmark = pytest.mark.django_db

MEMBERS = reverse("portal:members")
LINK = re.compile(r"http://testserver(/portal/invitations/[\w-]+/)")


@pytest.fixture
def team(db):
    supplier = SupplierFactory(name_en="Team Co")
    owner = MembershipFactory(supplier=supplier, role="owner", user__username="boss")
    staff = MembershipFactory(supplier=supplier, user__username="clerk")
    return owner, staff


def invite(client, capture, email: str = "new.colleague@factory.example") -> str:
    """Invite through the page; the email leaves after the commit."""
    with capture(execute=True):
        response = client.post(MEMBERS, {"email": email})
    assert response.status_code == 302, response.content.decode()[:500]
    link = LINK.search(mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    return link.group(1)


def accept(client, path: str, username: str = "newbie", **extra: str):
    data = {
        "username": username,
        "full_name": "Zhang Wei",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **extra,
    }
    return client.post(path, data)


def test_everyone_sees_the_members(client, team):
    owner, staff = team
    client.force_login(staff.user)
    response = client.get(MEMBERS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "boss" in page
    assert "clerk" in page
    assert 'data-testid="invite-form"' not in page
    assert reverse("portal:member_remove", args=[owner.pk]) not in page


def test_invite_accept_and_the_new_colleague_signs_in(
    client, team, django_capture_on_commit_callbacks
):
    owner, _staff = team
    client.force_login(owner.user)
    path = invite(client, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["new.colleague@factory.example"]
    assert "new.colleague@factory.example" in client.get(MEMBERS).content.decode()  # open

    client.logout()
    page = client.get(path)
    assert page.status_code == 200
    text = page.content.decode()
    assert owner.supplier.name_zh in text
    assert "new.colleague@factory.example" in text

    response = accept(client, path)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    assert client.get(reverse("portal:dashboard")).status_code == 200  # signed in

    joined = Membership.objects.get(user__username="newbie")
    assert joined.supplier == owner.supplier
    assert joined.role == Membership.Role.STAFF
    assert joined.user.email == "new.colleague@factory.example"
    assert joined.user.get_full_name() == "Zhang Wei"
    client.logout()
    signed_in = client.post(
        reverse("portal:login"), {"username": "newbie", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_an_invitation_link_works_once(client, team, django_capture_on_commit_callbacks):
    owner, _staff = team
    client.force_login(owner.user)
    path = invite(client, django_capture_on_commit_callbacks)
    client.logout()
    assert accept(client, path).status_code == 302
    client.logout()
    again = client.get(path)
    assert again.status_code == 404
    assert "This invitation cannot be used" in again.content.decode()
    assert accept(client, path, username="second").status_code == 404
    assert not User.objects.filter(username="second").exists()


def test_an_invitation_link_expires(client, team, django_capture_on_commit_callbacks, settings):
    owner, _staff = team
    client.force_login(owner.user)
    path = invite(client, django_capture_on_commit_callbacks)
    client.logout()
    later = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS, minutes=1)
    with time_machine.travel(later):
        assert client.get(path).status_code == 404
        assert accept(client, path).status_code == 404
    assert not User.objects.filter(username="newbie").exists()
    earlier = timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS, minutes=-5)
    with time_machine.travel(earlier):
        assert client.get(path).status_code == 200


def test_an_unknown_invitation_token_is_a_clear_404(client):
    response = client.get(reverse("portal:invitation_accept", args=["no-such-token"]))
    assert response.status_code == 404
    assert "This invitation cannot be used" in response.content.decode()


def test_accepting_checks_the_passwords_and_the_username(
    client, team, django_capture_on_commit_callbacks
):
    owner, _staff = team
    client.force_login(owner.user)
    path = invite(client, django_capture_on_commit_callbacks)
    client.logout()
    response = accept(client, path, password2="not-the-same-password")
    assert response.status_code == 200
    assert "password2" in response.context["form"].errors
    response = accept(client, path, username="Clerk")  # taken, whatever the case
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert accept(client, path).status_code == 302  # still usable after the mistakes


def test_a_cancelled_invitation_cannot_be_used(client, team, django_capture_on_commit_callbacks):
    owner, _staff = team
    client.force_login(owner.user)
    path = invite(client, django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    response = client.post(reverse("portal:invitation_cancel", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
    assert client.get(MEMBERS).context["invitations"] == []
    client.logout()
    assert client.get(path).status_code == 404


def test_inviting_a_member_again_is_refused_on_the_email_field(client, team):
    owner, staff = team
    client.force_login(owner.user)
    response = client.post(MEMBERS, {"email": staff.user.email.upper()})
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["Already a member."]
    assert not Invitation.objects.exists()


def test_the_owner_removes_a_member(client, team):
    owner, staff = team
    client.force_login(owner.user)
    response = client.post(reverse("portal:member_remove", args=[staff.pk]), follow=True)
    assert "clerk is removed." in response.content.decode()
    assert not Membership.objects.filter(pk=staff.pk).exists()
    staff.user.refresh_from_db()
    assert staff.user.is_active is False
    assert Event.objects.filter(kind="supplier.member_removed").exists()


def test_the_owner_cannot_remove_themself(client, team):
    owner, _staff = team
    client.force_login(owner.user)
    response = client.post(reverse("portal:member_remove", args=[owner.pk]), follow=True)
    assert response.status_code == 200
    assert "Hand the ownership to someone else" in response.content.decode()
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_the_owner_hands_over_ownership_after_confirming(client, team):
    owner, staff = team
    client.force_login(owner.user)
    url = reverse("portal:ownership_transfer", args=[staff.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "clerk" in confirm.content.decode()
    assert Membership.objects.get(pk=owner.pk).role == "owner"  # asking changes nothing
    response = client.post(url, follow=True)
    assert "clerk is now the owner." in response.content.decode()
    assert Membership.objects.get(pk=staff.pk).role == "owner"
    assert Membership.objects.get(pk=owner.pk).role == "staff"
    # The former owner is staff now: no more owner tools.
    assert 'data-testid="invite-form"' not in client.get(MEMBERS).content.decode()
    assert client.post(MEMBERS, {"email": "x@factory.example"}).status_code == 403


@pytest.mark.parametrize("action", ["invite", "remove", "transfer", "transfer_page", "cancel"])
def test_staff_cannot_change_membership(client, team, action):
    owner, staff = team
    invitation, _link = invitation_send(owner, email="pending@factory.example", base_url="http://x")
    client.force_login(staff.user)
    requests = {
        "invite": lambda: client.post(MEMBERS, {"email": "friend@factory.example"}),
        "remove": lambda: client.post(reverse("portal:member_remove", args=[owner.pk])),
        "transfer": lambda: client.post(reverse("portal:ownership_transfer", args=[staff.pk])),
        "transfer_page": lambda: client.get(reverse("portal:ownership_transfer", args=[staff.pk])),
        "cancel": lambda: client.post(reverse("portal:invitation_cancel", args=[invitation.pk])),
    }
    assert requests[action]().status_code == 403
    assert Membership.objects.get(pk=owner.pk).role == "owner"
    assert Membership.objects.get(pk=staff.pk).role == "staff"
    assert list(Invitation.objects.values_list("email", "cancelled_at")) == [
        ("pending@factory.example", None)
    ]


def test_membership_changes_need_post(client, team):
    owner, staff = team
    client.force_login(owner.user)
    assert client.get(reverse("portal:member_remove", args=[staff.pk])).status_code == 405
    invitation, _link = invitation_send(owner, email="p@factory.example", base_url="http://x")
    assert client.get(reverse("portal:invitation_cancel", args=[invitation.pk])).status_code == 405


def test_the_members_page_queries_do_not_grow(client, team, django_assert_max_num_queries):
    owner, _staff = team
    client.force_login(owner.user)
    invitation_send(owner, email="one@factory.example", base_url="http://x")
    with django_assert_max_num_queries(20) as few:
        assert client.get(MEMBERS).status_code == 200
    for n in range(10):
        MembershipFactory(supplier=owner.supplier, user__username=f"hand{n}")
        invitation_send(owner, email=f"more{n}@factory.example", base_url="http://x")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(MEMBERS).status_code == 200


def test_the_sign_in_password_of_others_is_untouched(
    client, team, django_capture_on_commit_callbacks
):
    """Accepting an invitation while signed in as someone else signs in as the new account."""
    owner, _staff = team
    client.force_login(owner.user)
    path = invite(client, django_capture_on_commit_callbacks)
    assert accept(client, path).status_code == 302
    assert client.get(MEMBERS).context["request"].user.username == "newbie"
    owner.user.refresh_from_db()
    assert owner.user.check_password(PASSWORD)
