"""Resuming a paused listing (`listing_resume`): the rule is the service's, the same for every
door. Only a paused listing resumes; it goes back on sale only with stock to sell (unless JIT),
and otherwise stays paused for want of stock, so the stock rule resumes it; all in one
transaction."""

from __future__ import annotations

import pytest

from catalogue.models import Listing
from catalogue.services import listings as listing_services
from catalogue.services.listings import listing_resume, listing_transition
from marketplace.errors import DomainError, ErrorKind
from marketplace.models import Event
from tests.factories.catalogue import ListingFactory

pytestmark = pytest.mark.django_db
S = Listing.Status


def moves(listing):
    return [
        (e.payload["from"], e.payload["to"], e.reason)
        for e in Event.objects.filter(
            kind="listing.status_changed", subject_id=str(listing.pk)
        ).order_by("id")
    ]


@pytest.mark.parametrize("status", [S.DRAFT, S.SUBMITTED, S.APPROVED, S.DELISTED])
def test_only_a_paused_listing_resumes(status, operator):
    listing = ListingFactory(status=status, is_jit=True, supplier__jit_status="enrolled")
    with pytest.raises(DomainError) as refused:
        listing_resume(listing, actor=operator)
    assert (refused.value.code, refused.value.kind) == ("not_paused", ErrorKind.CONFLICT)
    listing.refresh_from_db()
    assert listing.status == status
    assert moves(listing) == []


def test_a_live_listing_is_left_as_it_is(operator):
    listing = ListingFactory(status=S.LIVE, is_jit=True, supplier__jit_status="enrolled")
    assert listing_resume(listing, actor=operator).status == S.LIVE
    assert moves(listing) == []


def test_a_paused_jit_listing_goes_live_with_the_reason(operator):
    listing = ListingFactory(status=S.PAUSED, is_jit=True, supplier__jit_status="enrolled")
    resumed = listing_resume(listing, actor=operator, reason=" Checked the returns ")
    assert (resumed.status, listing.status) == (S.LIVE, S.LIVE)
    assert moves(listing) == [("paused", "live", "Checked the returns")]
    assert Event.objects.get(kind="listing.status_changed").actor == operator


def test_without_a_reason_the_event_says_an_operator_resumed_it(operator):
    listing = ListingFactory(status=S.PAUSED, is_jit=True, supplier__jit_status="enrolled")
    listing_resume(listing, actor=operator)
    assert moves(listing) == [("paused", "live", "Resumed by an operator.")]


def test_a_fully_managed_listing_with_stock_goes_live(operator):
    from tests.factories.logistics import stocked_listing

    listing = stocked_listing(5)
    listing_transition(listing, S.PAUSED, actor=operator, reason="quality check")
    assert listing_resume(listing, actor=operator).status == S.LIVE
    listing.refresh_from_db()
    assert (listing.status, listing.paused_for_stock) == (S.LIVE, False)


def test_without_stock_it_stays_paused_for_stock_and_the_stock_rule_takes_over(operator):
    listing = ListingFactory(status=S.PAUSED, status_reason="quality check")
    resumed = listing_resume(listing, actor=operator)
    assert (resumed.status, resumed.paused_for_stock) == (S.PAUSED, True)
    listing.refresh_from_db()
    assert (listing.status, listing.paused_for_stock) == (S.PAUSED, True)
    assert moves(listing) == [
        ("paused", "live", "Resumed by an operator."),
        ("live", "paused", "No available stock."),
    ]


def test_the_resume_is_one_transaction(operator, monkeypatch):
    """Should the stock rule fail after the move to live, the listing is still paused as the
    operator left it: nobody saw it live without stock."""
    listing = ListingFactory(status=S.PAUSED, status_reason="quality check")

    def broken(listing):
        raise RuntimeError("stock unreadable")

    monkeypatch.setattr(listing_services, "available_stock", broken)
    with pytest.raises(RuntimeError):
        listing_resume(listing, actor=operator)
    listing.refresh_from_db()
    assert (listing.status, listing.status_reason) == (S.PAUSED, "quality check")
    assert moves(listing) == []
