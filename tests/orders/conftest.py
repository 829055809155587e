from __future__ import annotations

import pytest


@pytest.fixture(params=["native", "orm"])
def sweep_path(request, monkeypatch):
    """Each test runs the sweep as this database runs it (one statement per batch on
    PostgreSQL) and through the ORM's steps that other databases take: both must agree."""
    if request.param == "orm":
        monkeypatch.setattr("orders.services.sweep.set_based", lambda: False)
    return request.param
