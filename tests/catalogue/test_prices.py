from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.models import Listing, PriceRound
from catalogue.services.prices import (
    price_accept,
    price_accept_counter,
    price_counter,
    price_propose,
    price_reject,
    price_withdraw,
)
from marketplace.errors import DomainError, ErrorKind
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import ListingFactory
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db
S = Listing.Status


@pytest.fixture
def listing():
    return ListingFactory()


@pytest.fixture
def member(listing):
    return MembershipFactory(supplier=listing.supplier).user


@pytest.fixture
def operator_user():
    return UserFactory(is_staff=True)


def rounds(listing):
    return list(listing.price_rounds.order_by("number").values_list("number", "status"))


def test_propose_then_accept(listing, member, operator_user):
    price_propose(listing, price="18.50", actor=member, note="MOQ 500")
    assert listing.status == S.SUBMITTED
    price_accept(listing, actor=operator_user)
    assert listing.status == S.COMPLIANCE_REVIEW
    assert listing.supply_price_cny == Decimal("18.50")
    assert rounds(listing) == [(1, "accepted")]


def test_counter_then_the_supplier_accepts(listing, member, operator_user):
    price_propose(listing, price="20.00", actor=member)
    price_counter(listing, price="17.80", actor=operator_user, note="benchmark is 18")
    assert listing.status == S.PRICE_REVIEW
    price_accept_counter(listing, actor=member)
    assert listing.supply_price_cny == Decimal("17.80")
    assert listing.status == S.COMPLIANCE_REVIEW


def test_counter_then_withdraw_then_a_new_round(listing, member, operator_user):
    price_propose(listing, price="20.00", actor=member)
    price_counter(listing, price="15.00", actor=operator_user)
    price_withdraw(listing, actor=member)
    assert listing.status == S.DRAFT
    price_propose(listing, price="18.00", actor=member)
    price_reject(listing, actor=operator_user, note="above the band")
    assert listing.status == S.DRAFT
    price_propose(listing, price="16.00", actor=member)
    price_accept(listing, actor=operator_user)
    assert rounds(listing) == [(1, "withdrawn"), (2, "rejected"), (3, "accepted")]
    assert listing.supply_price_cny == Decimal("16.00")


def test_one_open_round_per_listing(listing, member):
    price_propose(listing, price="20.00", actor=member)
    with pytest.raises(DomainError) as refused:
        price_propose(listing, price="19.00", actor=member)
    assert refused.value.code == "round_open"
    assert "price" in refused.value.fields
    assert PriceRound.objects.count() == 1


def test_the_database_allows_one_open_round_whatever_the_code(listing, member):
    from django.db import IntegrityError, transaction

    PriceRound.objects.create(listing=listing, number=1, proposed_price=1, proposed_by=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        PriceRound.objects.create(
            listing=listing, number=2, proposed_price=1, proposed_by=member, status="countered"
        )


def test_answers_need_the_right_round_state(listing, member, operator_user):
    with pytest.raises(DomainError):
        price_accept(listing, actor=operator_user)  # nothing proposed
    price_propose(listing, price="20.00", actor=member)
    with pytest.raises(DomainError):
        price_accept_counter(listing, actor=member)  # no counter yet
    price_counter(listing, price="18.00", actor=operator_user)
    with pytest.raises(DomainError):
        price_accept(listing, actor=operator_user)  # the supplier must answer the counter
    with pytest.raises(DomainError):
        price_reject(listing, actor=operator_user, note="")


@pytest.mark.parametrize("bad", ["0", "-1", "1.234", "abc", "Infinity"])
def test_bad_prices_name_the_field(listing, member, bad):
    with pytest.raises(DomainError) as refused:
        price_propose(listing, price=bad, actor=member)
    assert "price" in refused.value.fields


def test_another_supplier_cannot_touch_the_round(listing, member):
    stranger = MembershipFactory().user
    with pytest.raises(DomainError) as refused:
        price_propose(listing, price="10.00", actor=stranger)
    assert refused.value.kind == ErrorKind.NOT_FOUND
    price_propose(listing, price="10.00", actor=member)
    for action in (price_withdraw, price_accept_counter):
        with pytest.raises(DomainError):
            action(listing, actor=stranger)
