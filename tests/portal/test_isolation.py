"""Every portal page of the supplier side, read by another supplier's people: none of this
supplier's data shows, and every address that takes an id answers 404 for this supplier's
records (before any owner check, so not even their existence leaks)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import ApiKey
from marketplace.models import Event
from suppliers.models import Invitation, Membership
from suppliers.services.jit import jit_apply
from suppliers.services.ledger import ledger_penalty, withdrawal_request
from suppliers.services.members import invitation_send
from suppliers.services.status import supplier_request_changes
from tests.factories.accounts import supplier_token
from tests.factories.suppliers import MembershipFactory, funded_supplier
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, leaked, page_text, rival_member

pytestmark = pytest.mark.django_db

# Everything below is this supplier's ("secret") and must never appear to the rival.
SECRETS = [
    "Secret Toys",
    "秘密玩具厂",
    "SECRET-BANK-REF",
    "secret penalty memo",
    "SECRET-ACCOUNT-9",
    "secret.invitee@factory.example",
    "secretowner",
    "secretclerk",
    "secret review comment",
    "8765.43",
    "8,765.43",  # the balance as the pages show it
]

PAGES = [
    "portal:dashboard",
    "portal:application",
    "portal:notifications",
    "portal:ledger",
    "portal:ledger_csv",
    "portal:withdrawals",
    "portal:jit",
    "portal:members",
    "portal:api_keys",
]


@pytest.fixture
def secret(db, operator):
    """A supplier with something on every page."""
    supplier = funded_supplier(
        "8765.43", name_en="Secret Toys", name_zh="秘密玩具厂", status="applied"
    )
    owner = MembershipFactory(supplier=supplier, role="owner", user__username="secretowner")
    clerk = MembershipFactory(supplier=supplier, user__username="secretclerk")
    supplier_request_changes(supplier, actor=operator, comment="secret review comment")
    ledger_penalty(supplier, amount="1.00", actor=None, reference=None, memo="secret penalty memo")
    from suppliers.services.ledger import ledger_top_up

    ledger_top_up(supplier, amount="1.00", bank_reference="SECRET-BANK-REF", actor=None)
    withdrawal_request(supplier, amount="5.00", bank_account="SECRET-ACCOUNT-9", actor=owner.user)
    invitation, _link = invitation_send(
        owner, email="secret.invitee@factory.example", base_url="http://x"
    )
    supplier_token(owner.user)
    return {"owner": owner, "clerk": clerk, "invitation": invitation}


@pytest.fixture(params=RIVAL_ROLES)
def rival(request, db):
    supplier = funded_supplier("6000.00", name_en="Rival Ltd")
    rival = rival_member(request.param, supplier)
    jit_apply(supplier, actor=supplier.memberships.get(role="owner").user)
    return rival


@pytest.mark.parametrize("name", PAGES)
def test_another_supplier_never_sees_this_suppliers_data(client, secret, rival, name):
    client.force_login(rival)
    response = client.get(reverse(name))
    assert response.status_code == 200
    shown = leaked(response, SECRETS)
    assert shown == [], f"{name} shows another supplier's {shown}"


@pytest.mark.parametrize("name", [page for page in PAGES if page != "portal:api_keys"])
def test_the_markers_do_show_to_the_supplier_itself(client, secret, name):
    """The check above would catch a leak: the same page shows them to their owner."""
    client.force_login(secret["owner"].user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert leaked(response, SECRETS), name


def test_filters_cannot_reach_another_suppliers_entries(client, secret, rival):
    client.force_login(rival)
    for query in [{"kind": "penalty"}, {"kind": "top_up", "date_from": "2000-01-01"}]:
        assert "secret penalty memo" not in page_text(client.get(reverse("portal:ledger"), query))
        assert "SECRET-BANK-REF" not in page_text(client.get(reverse("portal:ledger_csv"), query))


def id_requests(secret):
    owner, clerk, invitation = secret["owner"], secret["clerk"], secret["invitation"]
    key = ApiKey.objects.get(user=owner.user)
    return [
        ("post", reverse("portal:invitation_cancel", args=[invitation.pk]), {}),
        ("post", reverse("portal:member_remove", args=[clerk.pk]), {}),
        ("post", reverse("portal:member_remove", args=[owner.pk]), {}),
        ("get", reverse("portal:ownership_transfer", args=[clerk.pk]), {}),
        ("post", reverse("portal:ownership_transfer", args=[clerk.pk]), {}),
        ("post", reverse("portal:api_key_revoke", args=[key.pk]), {}),
    ]


def state():
    return (
        list(Membership.objects.values_list("pk", "role", "user__is_active").order_by("pk")),
        list(Invitation.objects.values_list("pk", "cancelled_at")),
        list(ApiKey.objects.values_list("pk", "revoked_at")),
        Event.objects.count(),
    )


def test_every_id_of_this_supplier_is_a_404_for_another(client, secret, rival):
    client.force_login(rival)
    assert_ids_are_404(client, id_requests(secret), state=state, secrets=SECRETS)


def test_unknown_ids_are_404_too(client, secret):
    client.force_login(secret["owner"].user)
    for name in ["invitation_cancel", "member_remove", "ownership_transfer"]:
        assert client.post(reverse(f"portal:{name}", args=[999999])).status_code == 404


def test_the_supplier_pages_are_for_members_only(client, operator):
    for name in PAGES:
        url = reverse(name)
        assert client.get(url).status_code == 302, url  # to the login page
    client.force_login(operator)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403, name
