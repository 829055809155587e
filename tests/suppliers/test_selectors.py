"""Which supplier a user acts for (`supplier_id_for`, the one answer every selector asks), and
the supplier-side selectors the portal reads: withdrawal requests and notifications."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from marketplace.models import Event
from suppliers.models import WithdrawalRequest
from suppliers.selectors import (
    notifications_visible_to,
    supplier_for,
    supplier_id_for,
    withdrawal_requests_visible_to,
)
from tests.factories.accounts import api_client
from tests.factories.suppliers import MembershipFactory, funded_supplier

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    """Two suppliers, each with an owner, a withdrawal request and an event."""
    owners = []
    for name in ("Own", "Rival"):
        supplier = funded_supplier("1000.00", name_en=name)
        owner = MembershipFactory(supplier=supplier, role="owner").user
        WithdrawalRequest.objects.create(
            supplier=supplier, amount="10.00", bank_account="622202", requested_by=owner
        )
        Event.objects.create(kind="supplier.member_joined", supplier=supplier, actor=owner)
        owners.append(owner)
    return owners


def test_a_member_acts_for_its_supplier_and_nobody_else_for_any(two, operator):
    own, rival = two
    assert supplier_id_for(own) == own.supplier_membership.supplier_id
    assert supplier_for(own) == own.supplier_membership.supplier
    assert supplier_id_for(rival) != supplier_id_for(own)
    client, _plain = api_client()
    for nobody in (operator, client.user, AnonymousUser(), None):
        assert supplier_id_for(nobody) is None
        assert supplier_for(nobody) is None


def test_a_supplier_reads_its_own_withdrawals_finance_all_integrators_none(
    two, finance_user, operator
):
    own, _rival = two
    mine = withdrawal_requests_visible_to(own)
    assert {w.supplier_id for w in mine} == {supplier_id_for(own)}
    assert withdrawal_requests_visible_to(finance_user).count() == 2
    client, _plain = api_client()
    assert not withdrawal_requests_visible_to(client.user).exists()


def test_a_supplier_reads_its_own_notifications_staff_all_integrators_none(two, operator):
    _own, rival = two
    assert {e.supplier_id for e in notifications_visible_to(rival)} == {supplier_id_for(rival)}
    assert notifications_visible_to(operator).count() == Event.objects.count()
    client, _plain = api_client()
    assert not notifications_visible_to(client.user).exists()
