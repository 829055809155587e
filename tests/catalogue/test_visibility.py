"""Which products a supplier sees: one rule (`catalogue.selectors.products_visible_to`, written in
the README's "Who sees what"), read the same through both doors, the portal and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import Listing
from tests.api_support import bearer, walk
from tests.factories.accounts import supplier_token
from tests.factories.catalogue import ListingFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(supplier_user, other_supplier_user):
    own = supplier_user.supplier_membership.supplier
    rival = other_supplier_user.supplier_membership.supplier
    unlisted = ProductFactory(owner=own, title_en="Own, never listed")
    delisted = ProductFactory(owner=own, title_en="Own, delisted")
    ListingFactory(supplier=own, product=delisted, status=Listing.Status.DELISTED)
    spec = ProductFactory(owner=None, title_en="Tender spec it sells")
    ListingFactory(supplier=own, product=spec, status=Listing.Status.LIVE)
    spec_of_rival = ProductFactory(owner=None, title_en="Tender spec the rival sells")
    ListingFactory(supplier=rival, product=spec_of_rival)
    theirs = ProductFactory(owner=rival, title_en="The rival's own")
    # A listing of another supplier's product, as only a bypassed service could make: its
    # product still is not this supplier's to read.
    ListingFactory(supplier=own, product=theirs)
    return {
        "seen": {unlisted.pk, delisted.pk, spec.pk},
        "unseen": {spec_of_rival.pk, theirs.pk},
        "titles": {p.pk: p.title_en for p in (unlisted, delisted, spec, spec_of_rival, theirs)},
    }


def test_the_api_shows_a_supplier_its_own_products_and_the_platforms_it_sells(
    supplier_user, products
):
    caller = bearer(supplier_token(supplier_user))
    assert {row["id"] for row in walk(caller, "/api/v1/products/")} == products["seen"]
    for pk in products["seen"]:
        assert caller.get(f"/api/v1/products/{pk}/").status_code == 200
    for pk in products["unseen"]:
        assert caller.get(f"/api/v1/products/{pk}/").status_code == 404


def test_the_portal_shows_the_same_products(client, supplier_user, products):
    client.force_login(supplier_user)
    page = client.get(reverse("portal:products")).content.decode()
    for pk, title in products["titles"].items():
        assert (title in page) == (pk in products["seen"]), title
    for pk in products["seen"]:
        assert client.get(reverse("portal:product_edit", args=[pk])).status_code == 200
    for pk in products["unseen"]:
        assert client.get(reverse("portal:product_edit", args=[pk])).status_code == 404


def test_the_portal_shows_a_platform_product_without_the_forms_that_change_it(
    client, supplier_user, products
):
    client.force_login(supplier_user)
    spec = next(pk for pk, t in products["titles"].items() if t == "Tender spec it sells")
    own = next(pk for pk, t in products["titles"].items() if t == "Own, never listed")
    page = client.get(reverse("portal:product_edit", args=[spec])).content.decode()
    assert 'data-testid="platform-product"' in page
    assert 'data-testid="image-form"' not in page
    mine = client.get(reverse("portal:product_edit", args=[own])).content.decode()
    assert 'data-testid="platform-product"' not in mine
    assert 'data-testid="image-form"' in mine
