from __future__ import annotations

import pytest

from tests.factories.accounts import api_client
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def integrator(api):
    _client, plain = api_client(scopes=["read"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return api


def test_filters_by_status_and_name(integrator):
    SupplierFactory(name_en="Shenzhen Toys", status="active")
    SupplierFactory(name_en="Yiwu Toys", name_zh="义乌玩具", status="suspended")
    SupplierFactory(name_en="Ningbo Plastics", status="active")

    def names(**query: str) -> list[str]:
        rows = integrator.get("/api/v1/suppliers/", query).json()["results"]
        return sorted(row["name_en"] for row in rows)

    assert names(status="active") == ["Ningbo Plastics", "Shenzhen Toys"]
    assert names(name="toys") == ["Shenzhen Toys", "Yiwu Toys"]
    assert names(name="义乌") == ["Yiwu Toys"]


def test_cursor_pages_walk_every_row_once(integrator):
    SupplierFactory.create_batch(7)
    seen, url = [], "/api/v1/suppliers/?page_size=3"
    while url:
        body = integrator.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 7


def test_list_queries_do_not_grow_with_rows(integrator, django_assert_max_num_queries):
    SupplierFactory.create_batch(2)
    with django_assert_max_num_queries(10) as few:
        integrator.get("/api/v1/suppliers/")
    SupplierFactory.create_batch(40)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(integrator.get("/api/v1/suppliers/").json()["results"]) == 42


def test_the_api_only_reads(integrator):
    supplier = SupplierFactory()
    for call in (integrator.post, integrator.put, integrator.patch, integrator.delete):
        response = call(f"/api/v1/suppliers/{supplier.pk}/", {})
        assert response.status_code in {403, 405}
