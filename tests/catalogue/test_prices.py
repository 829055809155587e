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
    price_round_open,
    price_withdraw,
)
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
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
    round_ = price_propose(listing, price="18.50", actor=member, note="MOQ 500")
    assert listing.status == S.SUBMITTED
    price_accept(round_, actor=operator_user, note="fine")
    listing.refresh_from_db()
    assert listing.status == S.COMPLIANCE_REVIEW
    assert listing.supply_price_cny == Decimal("18.50")
    assert rounds(listing) == [(1, "accepted")]
    assert (round_.status, round_.reviewed_by, round_.operator_note) == (
        "accepted",
        operator_user,
        "fine",
    )
    assert round_.closed_at is not None
    # The round's move is recorded as the listing's price event, with the move and the price.
    agreed = Event.objects.get(kind="listing.price_agreed")
    assert (agreed.supplier_id, agreed.actor_id) == (listing.supplier_id, operator_user.pk)
    assert agreed.payload == {
        "from": "proposed",
        "to": "accepted",
        "listing": listing.pk,
        "round": 1,
        "price": "18.50",
    }
    # The listing moved through review first, then to compliance, then the price was agreed.
    assert list(Event.objects.order_by("pk").values_list("kind", flat=True))[-3:] == [
        "listing.status_changed",
        "listing.status_changed",
        "listing.price_agreed",
    ]


def test_counter_then_the_supplier_accepts(listing, member, operator_user):
    round_ = price_propose(listing, price="20.00", actor=member)
    price_counter(round_, price="17.80", actor=operator_user, note="benchmark is 18")
    listing.refresh_from_db()
    assert listing.status == S.PRICE_REVIEW
    assert (round_.status, round_.counter_price, round_.operator_note) == (
        "countered",
        Decimal("17.80"),
        "benchmark is 18",
    )
    countered = Event.objects.get(kind="listing.price_countered")
    assert countered.reason == "benchmark is 18"
    assert countered.payload["price"] == "17.80"
    price_accept_counter(round_, actor=member)
    listing.refresh_from_db()
    assert listing.supply_price_cny == Decimal("17.80")
    assert listing.status == S.COMPLIANCE_REVIEW
    assert round_.agreed_price == Decimal("17.80")
    # The supplier's answer leaves the operator's name and note as they were.
    assert (round_.reviewed_by, round_.operator_note) == (operator_user, "benchmark is 18")


def test_counter_then_withdraw_then_a_new_round(listing, member, operator_user):
    first = price_propose(listing, price="20.00", actor=member)
    price_counter(first, price="15.00", actor=operator_user)
    price_withdraw(first, actor=member)
    listing.refresh_from_db()
    assert listing.status == S.DRAFT
    second = price_propose(listing, price="18.00", actor=member)
    price_reject(second, actor=operator_user, note="above the band")
    listing.refresh_from_db()
    assert listing.status == S.DRAFT
    assert Event.objects.get(kind="listing.price_rejected").reason == "above the band"
    price_accept(price_propose(listing, price="16.00", actor=member), actor=operator_user)
    assert rounds(listing) == [(1, "withdrawn"), (2, "rejected"), (3, "accepted")]
    listing.refresh_from_db()
    assert listing.supply_price_cny == Decimal("16.00")


def test_the_open_round_is_the_one_a_supplier_answers(listing, member):
    with pytest.raises(DomainError) as refused:
        price_round_open(listing)
    assert (refused.value.code, refused.value.kind) == ("no_open_round", ErrorKind.CONFLICT)
    round_ = price_propose(listing, price="20.00", actor=member)
    assert price_round_open(listing) == round_


@pytest.mark.parametrize("answered", ["accepted", "rejected", "withdrawn"])
def test_only_an_open_round_is_answered(listing, member, operator_user, answered):
    round_ = price_propose(listing, price="20.00", actor=member)
    close = {
        "accepted": lambda: price_accept(round_, actor=operator_user),
        "rejected": lambda: price_reject(round_, actor=operator_user, note="no"),
        "withdrawn": lambda: price_withdraw(round_, actor=member),
    }
    close[answered]()
    # A new round is open now; answering the old one names the old one, and is refused.
    current = (
        price_propose(listing, price="19.00", actor=member) if answered != "accepted" else None
    )
    events = Event.objects.count()
    answers = [
        lambda: price_accept(round_, actor=operator_user),
        lambda: price_counter(round_, price="18.00", actor=operator_user),
        lambda: price_reject(round_, actor=operator_user, note="late"),
        lambda: price_accept_counter(round_, actor=member),
        lambda: price_withdraw(round_, actor=member),
    ]
    for answer in answers:
        with pytest.raises(DomainError) as refused:
            answer()
        assert (refused.value.code, refused.value.kind) == ("round_closed", ErrorKind.CONFLICT)
    round_.refresh_from_db()
    assert round_.status == answered
    assert Event.objects.count() == events
    if current is not None:
        current.refresh_from_db()
        assert current.status == "proposed"


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
    round_ = price_propose(listing, price="20.00", actor=member)
    with pytest.raises(DomainError) as refused:
        price_accept_counter(round_, actor=member)  # no counter yet
    assert refused.value.code == "no_counter"
    price_counter(round_, price="18.00", actor=operator_user)
    with pytest.raises(DomainError) as refused:
        price_accept(round_, actor=operator_user)  # the supplier must answer the counter
    assert refused.value.code == "round_countered"
    with pytest.raises(DomainError) as refused:
        price_counter(round_, price="17.00", actor=operator_user)
    assert refused.value.code == "round_countered"
    with pytest.raises(DomainError) as refused:
        price_reject(round_, actor=operator_user, note="")
    assert (refused.value.code, refused.value.kind) == ("reason_required", ErrorKind.INVALID)
    assert "note" in refused.value.fields
    # After a counter an operator may still reject.
    price_reject(round_, actor=operator_user, note="band moved")
    assert round_.status == "rejected"


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
    round_ = price_propose(listing, price="10.00", actor=member)
    for action in (price_withdraw, price_accept_counter):
        with pytest.raises(DomainError) as refused:
            action(round_, actor=stranger)
        assert refused.value.kind == ErrorKind.NOT_FOUND
