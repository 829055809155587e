"""The de minimis table through the API: scope `read`, filtered by market and by the day in
force; a bad filter is a 400 naming it."""

from __future__ import annotations

import pytest

from tests.api_support import assert_error, bearer
from tests.factories.accounts import api_client, supplier_token

pytestmark = pytest.mark.django_db

URL = "/api/v1/de-minimis-rules/"


@pytest.fixture
def integrator():
    _client, plain = api_client(scopes=["read"])
    return bearer(plain)


def test_the_us_rows_in_force_on_a_day(integrator):
    before = integrator.get(URL, {"market": "US", "on": "2025-05-01"}).json()
    assert [(row["outcome"], row["excluded_origins"]) for row in before] == [("relief", "")]
    assert before[0]["duty_threshold"] == "800.00"
    during = integrator.get(URL, {"market": "US", "on": "2025-05-02"}).json()
    assert [(row["outcome"], row["excluded_origins"]) for row in during] == [("relief", "CN,HK")]
    after = integrator.get(URL, {"market": "US", "on": "2025-08-29"}).json()
    assert [(row["outcome"], row["excluded_origins"]) for row in after] == [("none", "*")]
    assert after[0]["effective_to"] is None
    assert after[0]["source"].startswith("Executive order 14324")


def test_canada_has_a_row_per_channel_and_origin(integrator):
    rows = integrator.get(URL, {"market": "CA", "on": "2025-01-01"}).json()
    assert sorted((row["channel"], row["origins"]) for row in rows) == [
        ("courier", ""),
        ("courier", "US,MX"),
        ("postal", ""),
    ]


def test_the_whole_table_without_filters(integrator):
    rows = integrator.get(URL).json()
    assert {row["market"] for row in rows} == {"US", "EU", "UK", "CA", "AU", "JP"}
    eu_flat = next(row for row in rows if row["outcome"] == "flat_per_subheading")
    assert (eu_flat["flat_duty"], eu_flat["requires_ioss"]) == ("3.00", True)


def test_a_supplier_reads_it_too(supplier_user):
    caller = bearer(supplier_token(supplier_user))
    assert caller.get(URL, {"market": "UK"}).status_code == 200


def test_without_the_read_scope_it_is_refused():
    _client, plain = api_client(scopes=["orders:write"])
    assert bearer(plain).get(URL).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"), [({"market": "XX"}, "market"), ({"on": "2025-13-01"}, "on")]
)
def test_a_bad_filter_is_a_400_naming_it(integrator, query, field):
    body = assert_error(integrator.get(URL, query), 400, "invalid")
    assert field in body["fields"]


def test_the_query_count_does_not_grow_with_the_rows(integrator, django_assert_max_num_queries):
    with django_assert_max_num_queries(6) as few:
        integrator.get(URL, {"market": "JP"})
    with django_assert_max_num_queries(len(few.captured_queries)):
        integrator.get(URL)
