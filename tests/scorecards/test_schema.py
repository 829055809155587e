"""The scorecards' operations keep to their OpenAPI schema (the same checks as the whole API's
schemathesis run, tests/marketplace/test_schemathesis.py, which reaches them on the demo data),
in-process and on a few scorecards, for a supplier and an integrator."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from marketplace.wsgi import application
from tests.factories.accounts import api_client, supplier_token
from tests.factories.suppliers import MembershipFactory, SupplierFactory

from .test_doors import VERY_POOR, history

pytestmark = pytest.mark.django_db(transaction=True)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("who", ["supplier", "integrator"])
def test_the_scorecards_operations_keep_to_the_schema(who):
    supplier = SupplierFactory()
    history(supplier, days=3)
    history(SupplierFactory(), days=2, **VERY_POOR)
    if who == "supplier":
        key = supplier_token(MembershipFactory(supplier=supplier, role="owner").user)
    else:
        _client, key = api_client(["read"])
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application).include(
        path_regex="scorecards"
    )
    operations = list(schema.get_all_operations())
    assert len(operations) == 2
    for result in operations:
        operation = result.ok()

        @hypothesis.settings(max_examples=25, deadline=None, derandomize=True, database=None)
        @hypothesis.given(case=operation.as_strategy())
        def check(case):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
            case.call_and_validate(checks=CHECKS)

        check()
