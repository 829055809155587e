"""The notification list: the supplier's events in words, newest first, paged, and the unread
badge that opening the list clears."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Event
from portal.context import portal_nav
from suppliers.models import Membership
from suppliers.services.jit import jit_apply
from suppliers.services.ledger import (
    ledger_penalty,
    ledger_top_up,
    withdrawal_reject,
    withdrawal_request,
)
from suppliers.services.members import invitation_send, member_remove, ownership_transfer
from suppliers.services.status import supplier_reinstate, supplier_suspend
from tests.factories.suppliers import MembershipFactory, funded_supplier

pytestmark = pytest.mark.django_db

NOTIFICATIONS = reverse("portal:notifications")
DASHBOARD = reverse("portal:dashboard")


@pytest.fixture
def owner(db) -> Membership:
    return MembershipFactory(supplier=funded_supplier("5000.00"), role="owner")


def badge(client) -> int | None:
    return client.get(DASHBOARD).context.get("portal_unread")


def test_each_kind_reads_as_a_sentence(client, owner, operator, finance_user):
    supplier = owner.supplier
    jit_apply(supplier, actor=owner.user)
    ledger_penalty(supplier, amount="100.00", actor=None, reference=None, memo="Late order")
    ledger_top_up(supplier, amount="100.00", bank_reference="ICBC-77", actor=None)
    supplier_suspend(supplier, actor=operator, reason="Counterfeit complaint")
    supplier_reinstate(supplier, actor=operator)
    clerk = MembershipFactory(supplier=supplier, user__username="clerk")
    invitation_send(owner, email="friend@factory.example", base_url="http://x")
    member_remove(owner, clerk)
    heir = MembershipFactory(supplier=supplier, user__username="heir")
    ownership_transfer(owner, heir)
    ledger_top_up(supplier, amount="500.00", bank_reference="ICBC-78", actor=None)
    # The owner handed over: the new owner asks for the money.
    request = withdrawal_request(supplier, amount="20.00", bank_account="ICBC 1", actor=heir.user)
    withdrawal_reject(request, actor=finance_user, reason="Wrong account")

    client.force_login(owner.user)
    response = client.get(NOTIFICATIONS)
    assert response.status_code == 200
    texts = [line.text for line in response.context["lines"]]
    for expected in [
        f"Bank transfer BANK-{supplier.pk}: 5,000.00 CNY; the balance is now 5,000.00 CNY.",
        "Enrolled in JIT.",
        "Penalty: -100.00 CNY; the balance is now 4,900.00 CNY.",
        "JIT paused: the deposit, 4,900.00 CNY, fell below the JIT minimum of 5,000.00 CNY. "
        "Top up to take JIT orders again.",
        "JIT resumed: the deposit, 5,000.00 CNY, is back at or above the minimum.",
        "Status changed from Active to Suspended.",
        "Status changed from Suspended to Active.",
        "friend@factory.example was invited.",
        "clerk was removed.",
        f"Ownership passed from {owner.user.username} to heir.",
        "Withdrawal of 20.00 CNY requested.",
        "Withdrawal request rejected.",
    ]:
        assert expected in texts, (expected, texts)
    reasons = [line.reason for line in response.context["lines"] if line.reason]
    # What people wrote is shown; what the code wrote (JIT's reason code) is not.
    assert sorted(reasons) == ["Counterfeit complaint", "Wrong account"]
    page = response.content.decode()
    assert "deposit_below_minimum" not in page
    assert "Marketplace team" in page
    assert operator.username not in [line.actor for line in response.context["lines"]]


def test_newest_first_and_fifty_a_page(client, owner):
    now = timezone.now()
    Event.objects.bulk_create(
        Event(
            kind="order.shipped",
            supplier=owner.supplier,
            occurred_at=now + timedelta(seconds=n),
            reason=f"parcel {n}",
        )
        for n in range(120)
    )
    client.force_login(owner.user)
    first = client.get(NOTIFICATIONS)
    reasons = [line.event.reason for line in first.context["lines"]]
    assert len(reasons) == 50
    assert reasons[:2] == ["parcel 119", "parcel 118"]
    last = client.get(NOTIFICATIONS, {"page": 3})
    assert len(last.context["lines"]) == 121 - 100  # and the top-up of the fixture
    assert 'rel="prev"' in last.content.decode()


def test_the_badge_counts_unread_and_opening_the_list_clears_it(client, owner):
    client.force_login(owner.user)
    assert badge(client) == 1  # the top-up
    page = client.get(NOTIFICATIONS)
    assert page.context["lines"][0].is_new
    assert page.context.get("portal_unread") == 0
    owner.refresh_from_db()
    assert owner.notifications_seen_at is not None
    assert badge(client) == 0
    assert 'data-testid="unread-badge"' not in client.get(DASHBOARD).content.decode()

    ledger_penalty(owner.supplier, amount="1.00", actor=None, reference=None, memo="x")
    assert badge(client) == 1
    page = client.get(NOTIFICATIONS)
    assert [line.is_new for line in page.context["lines"]] == [True, False]


def test_each_member_has_its_own_unread_count(client, owner):
    clerk = MembershipFactory(supplier=owner.supplier)
    client.force_login(owner.user)
    client.get(NOTIFICATIONS)
    client.force_login(clerk.user)
    assert badge(client) == 1


def test_the_badge_is_on_every_member_page(client, owner):
    client.force_login(owner.user)
    for name in ["ledger", "withdrawals", "jit", "members", "application", "api_keys"]:
        page = client.get(reverse(f"portal:{name}")).content.decode()
        assert 'data-testid="unread-badge"' in page, name


def test_the_context_processor_runs_only_for_members_on_portal_pages(owner):
    factory = RequestFactory()
    request = factory.get("/portal/ledger/")
    assert portal_nav(request) == {}  # no member (a public page)
    request.membership = owner
    assert portal_nav(request) == {"portal_unread": 1}
    elsewhere = factory.get("/admin/")
    elsewhere.membership = owner
    assert portal_nav(elsewhere) == {}


def test_the_list_queries_do_not_grow_with_events(client, owner, django_assert_max_num_queries):
    client.force_login(owner.user)
    with django_assert_max_num_queries(20) as few:
        assert client.get(NOTIFICATIONS).status_code == 200
    for n in range(30):
        actor = MembershipFactory(supplier=owner.supplier, user__username=f"actor{n}").user
        Event.objects.create(kind="supplier.member_joined", supplier=owner.supplier, actor=actor)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(NOTIFICATIONS).status_code == 200


def test_the_dashboard_queries_stay_constant_with_events(
    client, owner, django_assert_max_num_queries
):
    client.force_login(owner.user)
    with django_assert_max_num_queries(14) as few:
        client.get(DASHBOARD)
    for _n in range(20):
        ledger_top_up(owner.supplier, amount="1.00", bank_reference=f"R{_n}", actor=None)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(DASHBOARD).status_code == 200
