from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from marketplace.errors import DomainError, ErrorKind
from suppliers.models import Membership
from suppliers.services.members import (
    invitation_accept,
    invitation_send,
    member_remove,
    ownership_transfer,
)
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return MembershipFactory(role="owner")


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_invite_email_accept_and_join_as_staff(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, link = invitation_send(
            owner, email="Zhao@Factory.cn", base_url="https://bo.example.com/"
        )
    assert link.startswith("https://bo.example.com/portal/invitations/")
    assert mail.outbox[0].to == ["zhao@factory.cn"]
    assert link in mail.outbox[0].body
    member = invitation_accept(
        token_of(link), username="zhao", password="a-long-pass-99", full_name="Zhao Lei"
    )
    assert member.supplier == owner.supplier
    assert member.role == Membership.Role.STAFF
    assert member.user.email == "zhao@factory.cn"
    with pytest.raises(DomainError) as used:
        invitation_accept(token_of(link), username="zhao2", password="a-long-pass-99")
    assert used.value.code == "invitation_invalid"


def test_an_invitation_expires(owner, settings):
    settings.INVITATION_VALID_DAYS = 7
    _invitation, link = invitation_send(owner, email="late@factory.cn", base_url="http://x/")
    with (
        time_machine.travel(timezone.now() + timedelta(days=7, seconds=1)),
        pytest.raises(DomainError),
    ):
        invitation_accept(token_of(link), username="late", password="a-long-pass-99")


def test_staff_change_no_membership(owner):
    staff = MembershipFactory(supplier=owner.supplier)
    other = MembershipFactory(supplier=owner.supplier)
    for action in (
        lambda: invitation_send(staff, email="x@y.cn", base_url="http://x/"),
        lambda: member_remove(staff, other),
        lambda: ownership_transfer(staff, other),
    ):
        with pytest.raises(DomainError) as refused:
            action()
        assert refused.value.kind == ErrorKind.FORBIDDEN
    assert Membership.objects.filter(supplier=owner.supplier).count() == 3


def test_owner_removes_a_colleague_whose_account_stops(owner):
    staff = MembershipFactory(supplier=owner.supplier)
    member_remove(owner, staff)
    staff.user.refresh_from_db()
    assert not staff.user.is_active
    assert not Membership.objects.filter(pk=staff.pk).exists()
    with pytest.raises(DomainError):
        member_remove(owner, owner)


def test_no_one_acts_on_another_suppliers_members(owner):
    stranger = MembershipFactory()
    with pytest.raises(DomainError) as refused:
        member_remove(owner, stranger)
    assert refused.value.kind == ErrorKind.NOT_FOUND
    with pytest.raises(DomainError):
        ownership_transfer(owner, stranger)


def test_ownership_moves_and_there_is_one_owner(owner):
    staff = MembershipFactory(supplier=owner.supplier)
    ownership_transfer(owner, staff)
    roles = dict(Membership.objects.filter(supplier=owner.supplier).values_list("pk", "role"))
    assert roles == {owner.pk: "staff", staff.pk: "owner"}
    with pytest.raises(IntegrityError):
        Membership.objects.filter(pk=owner.pk).update(role="owner")


def test_an_existing_member_is_not_invited_again(owner):
    MembershipFactory(supplier=owner.supplier, user__email="li@factory.cn")
    with pytest.raises(DomainError) as refused:
        invitation_send(owner, email="LI@factory.cn", base_url="http://x/")
    assert "email" in refused.value.fields
