"""/api/v1/demand-signals/: the storefront posts signals in bulk (scope `signals:write`); a batch
out of shape is a 400 naming each row's field at fault, nothing applied; unknown listings are
reported by place and the rest applied. Reading: a supplier its own listings' rows only;
integrators with `read` or `signals:write`, and staff who may view signals, all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue.models import Listing
from marketplace.formatting import suppliers_today
from restock.models import DemandSignal
from tests.api_support import assert_error, bearer, walk
from tests.factories.accounts import api_client, supplier_token
from tests.factories.catalogue import ListingFactory
from tests.factories.restock import DemandSignalFactory

from .signals import row, stored

pytestmark = pytest.mark.django_db

URL = "/api/v1/demand-signals/"


@pytest.fixture
def storefront():
    _client, plain = api_client(scopes=["signals:write"], name="Storefront signals")
    return bearer(plain)


@pytest.fixture
def listings() -> list[Listing]:
    return ListingFactory.create_batch(2, status=Listing.Status.LIVE)


def test_a_batch_is_applied_and_a_repeat_leaves_the_same_rows(storefront, listings):
    a, b = listings
    body = {"signals": [row(a.pk), row(a.pk, "EU", views=5), row(b.pk, "JP", days_ago=0)]}
    response = storefront.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": 3, "unknown": []}
    first = stored(DemandSignal)
    assert len(first) == 3
    again = storefront.post(URL, body, format="json")
    assert again.json() == {"applied": 3, "unknown": []}
    assert stored(DemandSignal) == first


def test_posting_a_row_again_replaces_its_counts(storefront, listings):
    a = listings[0]
    storefront.post(URL, {"signals": [row(a.pk, views=10, units_ordered=4)]}, format="json")
    response = storefront.post(
        URL, {"signals": [row(a.pk, views=12, add_to_carts=1, units_ordered=0)]}, format="json"
    )
    assert response.status_code == 200
    signal = DemandSignal.objects.get()
    assert (signal.views, signal.add_to_carts, signal.units_ordered) == (12, 1, 0)


def test_unknown_listings_are_reported_by_place_and_the_rest_applied(storefront, listings):
    a = listings[0]
    body = {"signals": [row(a.pk), row(999_999_999), row(a.pk, "EU")]}
    response = storefront.post(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"applied": 2, "unknown": [{"index": 1, "listing": 999_999_999}]}
    assert DemandSignal.objects.count() == 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"views": -1}, "signals[1].views"),
        ({"add_to_carts": "3"}, "signals[1].add_to_carts"),
        ({"units_ordered": 2.5}, "signals[1].units_ordered"),
        ({"market": "MARS"}, "signals[1].market"),
        ({"day": "next tuesday"}, "signals[1].day"),
        ({"listing": None}, "signals[1].listing"),
        ({"listing": -4}, "signals[1].listing"),
    ],
)
def test_a_row_out_of_shape_is_a_400_naming_it_and_nothing_is_applied(
    storefront, listings, bad, field
):
    a, b = listings
    body = {"signals": [row(a.pk), {**row(b.pk), **bad}]}
    body_errors = assert_error(storefront.post(URL, body, format="json"), 400, "invalid")
    assert list(body_errors["fields"]) == [field]
    assert not DemandSignal.objects.exists()


def test_a_future_day_is_refused_naming_the_row(storefront, listings):
    a = listings[0]
    tomorrow = (suppliers_today() + timedelta(days=1)).isoformat()
    body = {"signals": [row(a.pk), {**row(a.pk, "EU"), "day": tomorrow}]}
    errors = assert_error(storefront.post(URL, body, format="json"), 400, "invalid")
    assert list(errors["fields"]) == ["signals[1].day"]
    assert not DemandSignal.objects.exists()


def test_a_row_sent_twice_in_a_batch_is_refused(storefront, listings):
    a = listings[0]
    body = {"signals": [row(a.pk), row(a.pk, "UK"), row(a.pk, views=1)]}
    errors = assert_error(storefront.post(URL, body, format="json"), 400, "invalid")
    assert list(errors["fields"]) == ["signals[2]"]
    assert not DemandSignal.objects.exists()


def test_ten_thousand_and_one_rows_are_refused_naming_signals(storefront, listings):
    a = listings[0]
    body = {"signals": [row(a.pk, days_ago=n % 200 + 1) for n in range(10_001)]}
    errors = assert_error(storefront.post(URL, body, format="json"), 400, "invalid")
    assert list(errors["fields"]) == ["signals"]
    assert not DemandSignal.objects.exists()


@pytest.mark.parametrize("body", [{}, [], {"signals": []}, {"signals": {"a": 1}}, {"rows": []}])
def test_a_body_without_a_list_of_signals_is_refused(storefront, body):
    errors = assert_error(storefront.post(URL, body, format="json"), 400, "invalid")
    assert list(errors["fields"]) == ["signals"]


def test_a_body_that_is_not_json_is_a_415(storefront):
    response = storefront.post(URL, "signals", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize("scopes", [["read"], ["orders:write", "tracking:write"]])
def test_posting_needs_the_signals_scope(listings, scopes):
    _client, plain = api_client(scopes=scopes, name="Other")
    response = bearer(plain).post(URL, {"signals": [row(listings[0].pk)]}, format="json")
    assert_error(response, 403, "permission_denied")
    assert not DemandSignal.objects.exists()


def test_a_supplier_may_not_post(supplier_user, listings):
    response = bearer(supplier_token(supplier_user)).post(
        URL, {"signals": [row(listings[0].pk)]}, format="json"
    )
    assert_error(response, 403, "permission_denied")


def test_a_ten_thousand_row_post_takes_a_fixed_number_of_queries(storefront):
    listings = ListingFactory.create_batch(25)
    rows = [
        row(listing.pk, market, days_ago=days)
        for listing in listings
        for market in ("US", "EU", "UK", "CA")
        for days in range(100)
    ]
    storefront.post(URL, {"signals": rows[:10]}, format="json")  # the key's first use noted
    with CaptureQueriesContext(connection) as small:
        storefront.post(URL, {"signals": rows[10:20]}, format="json")
    with CaptureQueriesContext(connection) as large:
        response = storefront.post(URL, {"signals": rows}, format="json")
    assert response.json() == {"applied": 10_000, "unknown": []}
    if connection.vendor == "postgresql":
        # The key and its client, the listings looked up, the rows written: whatever the size.
        # (SQLite, for `make run` only, writes in the batches its parameter limit allows.)
        assert len(large) == len(small)
        assert len(large) <= 3, [q["sql"][:80] for q in large]


# --- Reading ------------------------------------------------------------------------------------


@pytest.fixture
def two_suppliers_signals(supplier_user, other_supplier_user):
    own = ListingFactory(supplier=supplier_user.supplier_membership.supplier)
    theirs = ListingFactory(supplier=other_supplier_user.supplier_membership.supplier)
    for days in (1, 2, 3):
        DemandSignalFactory(listing=own, day=suppliers_today() - timedelta(days=days))
    DemandSignalFactory(listing=own, market="EU")
    DemandSignalFactory(listing=theirs)
    return own, theirs


def _keys(rows):
    return sorted((r["listing"], r["market"], r["day"]) for r in rows)


def test_a_supplier_reads_only_its_own_listings_signals(supplier_user, two_suppliers_signals):
    own, theirs = two_suppliers_signals
    caller = bearer(supplier_token(supplier_user))
    rows = walk(caller, URL + "?page_size=2")
    assert len(rows) == 4
    assert {r["listing"] for r in rows} == {own.pk}
    assert caller.get(f"{URL}?listing={theirs.pk}").json()["results"] == []


def test_a_supplier_session_reads_only_its_own(client, supplier_user, two_suppliers_signals):
    own, _theirs = two_suppliers_signals
    client.force_login(supplier_user)
    rows = client.get(URL).json()["results"]
    assert {r["listing"] for r in rows} == {own.pk}


@pytest.mark.parametrize("scopes", [["read"], ["signals:write"]])
def test_integrators_read_every_signal(two_suppliers_signals, scopes):
    _client, plain = api_client(scopes=scopes, name="Reader")
    rows = walk(bearer(plain), URL)
    assert len(rows) == 5
    assert rows[0]["day"] >= rows[-1]["day"]  # newest day first
    assert set(rows[0]) == {
        "listing",
        "market",
        "day",
        "views",
        "add_to_carts",
        "units_ordered",
        "platform_units",
        "updated_at",
    }


def test_an_integrator_without_read_or_signals_may_not_read(two_suppliers_signals):
    _client, plain = api_client(scopes=["labs:write"], name="Lab")
    assert_error(bearer(plain).get(URL), 403, "permission_denied")


def test_staff_read_with_the_view_permission(client, finance_user, two_suppliers_signals):
    client.force_login(finance_user)
    assert client.get(URL).json()["results"] == []  # finance's role does not read signals
    finance_user.user_permissions.add(Permission.objects.get(codename="view_demandsignal"))
    finance_user = type(finance_user).objects.get(pk=finance_user.pk)  # permissions re-read
    client.force_login(finance_user)
    assert len(walk(client, URL)) == 5


def test_the_filters(two_suppliers_signals):
    own, theirs = two_suppliers_signals
    _client, plain = api_client(scopes=["read"], name="Reader")
    caller = bearer(plain)
    today = suppliers_today()

    def got(query: str) -> list:
        return _keys(walk(caller, URL + query))

    assert {k[0] for k in got(f"?listing={own.pk}")} == {own.pk}
    assert [k[1] for k in got("?market=EU")] == ["EU"]
    since = (today - timedelta(days=2)).isoformat()
    until = (today - timedelta(days=2)).isoformat()
    assert len(got(f"?since={since}")) == 4
    assert got(f"?since={since}&until={until}") == [(own.pk, "US", since)]
    assert got(f"?listing={theirs.pk}&market=US") == [
        (theirs.pk, "US", (today - timedelta(days=1)).isoformat())
    ]


@pytest.mark.parametrize(
    "query", ["?listing=x", "?listing=0", "?market=XX", "?since=yesterday", "?page_size=0"]
)
def test_bad_filters_are_a_400(query):
    _client, plain = api_client(scopes=["read"], name="Reader")
    response = bearer(plain).get(URL + query)
    assert response.status_code == 400, response.content


def test_a_page_is_a_fixed_number_of_queries(two_suppliers_signals):
    _client, plain = api_client(scopes=["read"], name="Reader")
    caller = bearer(plain)
    caller.get(URL)  # the key's first use noted
    with CaptureQueriesContext(connection) as few:
        caller.get(URL + "?page_size=1")
    for n in range(30):
        DemandSignalFactory(
            listing=two_suppliers_signals[0], day=suppliers_today() - timedelta(days=10 + n)
        )
    with CaptureQueriesContext(connection) as many:
        response = caller.get(URL + "?page_size=30")
    assert len(response.json()["results"]) == 30
    assert len(many) == len(few)
