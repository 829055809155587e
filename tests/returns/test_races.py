"""Two returns of the same item at the same moment: the parcel's row lock makes the second count
the first one's units, so only one passes (PostgreSQL, real threads)."""

from __future__ import annotations

import pytest

from marketplace.errors import DomainError
from returns.models import ReturnLine
from returns.services.requests import LineInput, return_request_create

from ..concurrency import run_together
from .conftest import delivered, return_centre, storefront_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_parallel_returns_of_the_last_units_cannot_both_pass():
    storefront = storefront_user()
    return_centre("US")
    parcel = delivered(storefront, quantity=2)
    item = parcel.items.get()

    def ask(reference: str):
        return lambda: return_request_create(
            parcel_id=parcel.pk,
            external_id=reference,
            lines=[LineInput(item=item.pk, quantity=2, reason="size")],
            actor=storefront,
        )

    outcome = run_together(ask("R-1"), ask("R-2"))
    assert len(outcome.errors) == 1
    [error] = outcome.errors
    assert isinstance(error, DomainError)
    assert error.code == "already_returned"
    assert sum(ReturnLine.objects.values_list("quantity", flat=True)) == 2
