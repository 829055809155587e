"""A category's AQL follows its risk level (SPEC: 2.5 for high risk, 4.0 otherwise; the two
numbers are settings), unless an operator overrides it; inspection plans, the admin and the
API read the effective AQL."""

from __future__ import annotations

import pytest

from catalogue.models import Category, Product, aql_for_risk
from logistics.services.inbound.inspection import inspection_plan
from tests.api_support import bearer
from tests.factories.accounts import UserFactory, api_client
from tests.factories.catalogue import CategoryFactory
from tests.factories.logistics import shipment_for, stocked_listing

pytestmark = pytest.mark.django_db
CATEGORIES = "/admin/catalogue/category/"


def test_the_aql_follows_the_risk_level_unless_overridden(settings):
    high = CategoryFactory(risk_level="high")
    low = CategoryFactory(risk_level="low")
    tight = CategoryFactory(risk_level="low", aql_override="2.5")
    assert (high.effective_aql, low.effective_aql, tight.effective_aql) == ("2.5", "4.0", "2.5")
    settings.AQL_LOW_RISK = "2.5"
    assert (aql_for_risk("low"), low.effective_aql) == ("2.5", "2.5")
    low.risk_level = "high"
    settings.AQL_HIGH_RISK = "4.0"
    assert low.effective_aql == "4.0"


def test_a_low_risk_categorys_lots_are_inspected_at_4_0():
    listing = stocked_listing(0)
    category = CategoryFactory(risk_level="low")
    Product.objects.filter(pk=listing.product_id).update(category=category)
    line = shipment_for(listing, 100, warehouse=None).lines.get()
    line.received, line.damaged = 100, 0
    plan = inspection_plan(line).plan
    # Lot 100 is letter F: 20 units, accept 2 at AQL 4.0 (1 at 2.5).
    assert (plan.aql, plan.sample_size, plan.accept) == ("4.0", 20, 2)
    Category.objects.filter(pk=category.pk).update(aql_override="2.5")
    assert inspection_plan(line).plan.accept == 1


def test_the_admin_shows_the_effective_aql_and_saves_an_override(client):
    operator = UserFactory(is_staff=True, is_superuser=True)
    CategoryFactory(code="toys", name_en="Toys", risk_level="high")
    home = CategoryFactory(code="home", name_en="Home", risk_level="low")
    client.force_login(operator)
    page = client.get(CATEGORIES).content.decode()
    assert "2.5 (from the risk level)" in page
    assert "4.0 (from the risk level)" in page
    only = client.get(CATEGORIES, {"aql": "4.0"}).content.decode()
    assert "Home" in only
    assert "Toys" not in only
    form = {
        "code": "home",
        "name_en": "Home",
        "name_zh": "家居",
        "parent": "",
        "risk_level": "low",
        "aql_override": "2.5",
        "price_band_min": "",
        "price_band_max": "",
    }
    response = client.post(f"{CATEGORIES}{home.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    home.refresh_from_db()
    assert (home.aql_override, home.effective_aql) == ("2.5", "2.5")
    change = client.get(f"{CATEGORIES}{home.pk}/change/").content.decode()
    assert "2.5 (override)" in change
    assert "Home" in client.get(CATEGORIES, {"aql": "2.5"}).content.decode()


def test_the_api_gives_the_effective_aql_and_the_override():
    _client, plain = api_client(scopes=["read"])
    high = CategoryFactory(code="toys", risk_level="high")
    low = CategoryFactory(code="home", risk_level="low")
    tight = CategoryFactory(code="kitchen", risk_level="low", aql_override="2.5")
    rows = {row["id"]: row for row in bearer(plain).get("/api/v1/categories/").json()}
    assert (rows[high.pk]["default_aql"], rows[high.pk]["aql_override"]) == ("2.5", None)
    assert (rows[low.pk]["default_aql"], rows[low.pk]["aql_override"]) == ("4.0", None)
    assert (rows[tight.pk]["default_aql"], rows[tight.pk]["aql_override"]) == ("2.5", "2.5")
