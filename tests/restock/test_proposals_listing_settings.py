"""A listing's restock settings (case pack, production lead time): the service's rules, the
admin's listing page, and the API's listing output."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import Listing
from catalogue.services.listings import listing_restock_set
from marketplace.errors import DomainError
from marketplace.models import Event
from tests.api_support import bearer
from tests.factories.accounts import supplier_token
from tests.factories.catalogue import ListingFactory
from tests.factories.logistics import member_of, operator

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing() -> Listing:
    return ListingFactory(status=Listing.Status.LIVE)


def test_the_supplier_sets_case_pack_and_lead_time(listing):
    user = member_of(listing)
    listing_restock_set(listing, case_pack=12, production_lead_days=20, actor=user)
    listing.refresh_from_db()
    assert (listing.case_pack, listing.production_lead_days) == (12, 20)
    event = Event.objects.get(kind="listing.restock_set")
    assert event.payload == {
        "changed": ["case_pack", "production_lead_days"],
        "case_pack": 12,
        "production_lead_days": 20,
    }
    listing_restock_set(listing, case_pack=12, production_lead_days=None, actor=operator())
    listing.refresh_from_db()
    assert listing.production_lead_days is None
    # Nothing changed: nothing recorded.
    listing_restock_set(listing, case_pack=12, production_lead_days=None, actor=user)
    assert Event.objects.filter(kind="listing.restock_set").count() == 2


@pytest.mark.parametrize(
    ("case_pack", "days", "field"),
    [
        (0, None, "case_pack"),
        (-1, 5, "case_pack"),
        ("6", 5, "case_pack"),
        (6, 366, "production_lead_days"),
        (6, -1, "production_lead_days"),
    ],
)
def test_out_of_range_is_refused_naming_the_field(listing, case_pack, days, field):
    with pytest.raises(DomainError) as error:
        listing_restock_set(
            listing, case_pack=case_pack, production_lead_days=days, actor=member_of(listing)
        )
    assert field in error.value.fields
    listing.refresh_from_db()
    assert (listing.case_pack, listing.production_lead_days) == (1, None)


def test_another_supplier_cannot(listing):
    stranger = member_of(ListingFactory())
    with pytest.raises(DomainError) as error:
        listing_restock_set(listing, case_pack=6, production_lead_days=3, actor=stranger)
    assert error.value.code == "not_found"


def test_operators_edit_them_on_the_admin_listing_page(client, listing):
    client.force_login(operator())
    url = reverse("admin:catalogue_listing_change", args=[listing.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="case_pack"' in page.content
    data = {
        "case_pack": "24",
        "production_lead_days": "",
        **{
            f"{prefix}-{key}": value
            for prefix in ("prices", "overseas_stock", "price_rounds")
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    response = client.post(url, data)
    assert response.status_code in (200, 302), response.content[:2000]
    listing.refresh_from_db()
    if response.status_code == 200:  # an inline's management form differs: show why
        errors = response.context["adminform"].form.errors
        raise AssertionError(errors or response.context.get("inline_admin_formsets"))
    assert listing.case_pack == 24
    listing_restock_set(listing, case_pack=24, production_lead_days=15, actor=operator())
    # A post without the fields (an inline's save) keeps them.
    kept = {k: v for k, v in data.items() if k not in ("case_pack", "production_lead_days")}
    assert client.post(url, kept).status_code == 302
    listing.refresh_from_db()
    assert (listing.case_pack, listing.production_lead_days) == (24, 15)
    bad = client.post(url, {**data, "case_pack": "0"})
    assert bad.status_code == 200
    listing.refresh_from_db()
    assert listing.case_pack == 24


def test_the_api_shows_them(listing):
    listing_restock_set(listing, case_pack=6, production_lead_days=9, actor=operator())
    caller = bearer(supplier_token(member_of(listing)))
    body = caller.get(f"/api/v1/listings/{listing.pk}/").json()
    assert (body["case_pack"], body["production_lead_days"], body["dead_stock_since"]) == (
        6,
        9,
        None,
    )
