"""A supplier's confirm, an operator's issue and the expiry job racing for one proposal on
PostgreSQL: exactly one wins, one stocking order at most, one event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from logistics.models import StockingOrder
from marketplace.errors import DomainError
from marketplace.formatting import suppliers_today
from marketplace.models import Event
from restock.models import RestockProposal
from restock.services.proposals import (
    expire_proposals,
    proposal_confirm,
    proposal_decline,
    proposal_issue,
)
from tests.concurrency import run_together

from .support import member, proposal, proposal_operator

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_confirm_issue_and_expiry_exactly_one_wins(round_):
    now = timezone.now()
    p = proposal(expires_at=now + timedelta(seconds=1))
    user, op = member(p), proposal_operator()
    later = now + timedelta(seconds=2)

    outcome = run_together(
        lambda: proposal_confirm(p, actor=user, quantity=12, ship_by=suppliers_today()),
        lambda: proposal_issue(p, actor=op),
        lambda: expire_proposals(later),
    )

    assert all(isinstance(e, DomainError) for e in outcome.errors), outcome.errors
    assert all(e.code == "invalid_transition" for e in outcome.errors), outcome.errors
    p.refresh_from_db()
    assert p.status in (
        RestockProposal.Status.CONFIRMED,
        RestockProposal.Status.ISSUED,
        RestockProposal.Status.EXPIRED,
    )
    moves = Event.objects.filter(kind__startswith="restock_proposal.")
    assert moves.count() == 1
    assert moves.get().kind == f"restock_proposal.{p.status}"
    orders = StockingOrder.objects.filter(listing=p.listing)
    assert orders.count() == (0 if p.status == RestockProposal.Status.EXPIRED else 1)
    if orders:
        assert p.stocking_order_id == orders.get().pk


def test_two_confirms_one_decline_one_wins():
    p = proposal()
    a, b = member(p), member(p)

    outcome = run_together(
        lambda: proposal_confirm(p, actor=a, quantity=12, ship_by=suppliers_today()),
        lambda: proposal_confirm(p, actor=b, quantity=24, ship_by=suppliers_today()),
        lambda: proposal_decline(p, actor=a, reason="no capacity"),
    )

    assert len(outcome.errors) == 2, outcome.errors
    assert StockingOrder.objects.count() <= 1
    assert Event.objects.filter(kind__startswith="restock_proposal.").count() == 1
