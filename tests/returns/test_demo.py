"""seed_demo's returns: one inspected (a chargeback the supplier may appeal, a unit restocked at
the US return centre), refunded and closed; one waiting for authorisation; once only."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from logistics.models import StockMovement
from returns.models import Chargeback, ReturnRequest

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_the_demo_returns_once(tmp_path, monkeypatch):
    monkeypatch.setenv("DEMO_DATA", "true")
    target = tmp_path / "c.json"
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    returns = {r.external_id: r for r in ReturnRequest.objects.all()}
    assert set(returns) == {"DEMO-RETURN-0001", "DEMO-RETURN-0002"}
    assert returns["DEMO-RETURN-0001"].status == ReturnRequest.Status.CLOSED
    assert returns["DEMO-RETURN-0002"].status == ReturnRequest.Status.REQUESTED
    chargeback = Chargeback.objects.get()
    assert chargeback.status == Chargeback.Status.STANDING
    assert StockMovement.objects.filter(kind=StockMovement.Kind.RETURN).count() == 1
    call_command("seed_demo", credentials_file=str(target), verbosity=0)
    assert ReturnRequest.objects.count() == 2
