"""The portal's listing page: a fully-managed listing's restock settings (case pack, production
lead time), in English and Chinese, refused out of range beside the field, and another supplier
cannot change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import Listing
from tests.factories.catalogue import ListingFactory
from tests.factories.logistics import member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def listing() -> Listing:
    return ListingFactory(status=Listing.Status.LIVE, mode=Listing.Mode.FULLY_MANAGED)


def test_the_supplier_sets_them(client, listing):
    client.force_login(member_of(listing))
    page = client.get(reverse("portal:listing_detail", args=[listing.pk])).content.decode()
    assert 'data-testid="restock-form"' in page
    url = reverse("portal:listing_restock", args=[listing.pk])
    response = client.post(url, {"case_pack": "12", "production_lead_days": "15"})
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.case_pack, listing.production_lead_days) == (12, 15)
    for data, field in (
        ({"case_pack": "0", "production_lead_days": ""}, "case_pack"),
        ({"case_pack": "6", "production_lead_days": "400"}, "production_lead_days"),
    ):
        refused = client.post(url, data).content.decode()
        assert f'data-field="{field}"' in refused
    listing.refresh_from_db()
    assert (listing.case_pack, listing.production_lead_days) == (12, 15)


def test_in_chinese(client, listing):
    client.force_login(member_of(listing))
    page = client.get(
        reverse("portal:listing_detail", args=[listing.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "每箱" in page
    assert "Units in one case" not in page


def test_another_supplier_cannot(client, listing):
    client.force_login(member_of(ListingFactory()))
    url = reverse("portal:listing_restock", args=[listing.pk])
    assert client.post(url, {"case_pack": "12"}).status_code == 404
    listing.refresh_from_db()
    assert listing.case_pack == 1
