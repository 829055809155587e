"""Operators read the demand signals in the admin: filters by market and day, search by listing;
nobody adds, edits or deletes one there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission

from marketplace.formatting import suppliers_today
from restock.models import DemandSignal
from tests.factories.catalogue import ListingFactory
from tests.factories.restock import DemandSignalFactory

pytestmark = pytest.mark.django_db

ROWS = "/admin/restock/demandsignal/"


@pytest.fixture
def reader(operator):
    # What the operators' role is granted (accounts' role migration); given here by hand.
    operator.user_permissions.add(Permission.objects.get(codename="view_demandsignal"))
    return operator


@pytest.fixture
def signals():
    a = ListingFactory(product__title_en="Bamboo toothbrush", product__title_zh="竹牙刷")
    b = ListingFactory(product__title_en="Desk lamp", product__title_zh="台灯")
    today = suppliers_today()
    DemandSignalFactory(listing=a, market="US", day=today)
    DemandSignalFactory(listing=a, market="EU", day=today - timedelta(days=3))
    DemandSignalFactory(listing=b, market="US", day=today - timedelta(days=40), platform_units=4)
    return a, b


def test_the_list_its_filters_and_search(client, reader, signals):
    a, _b = signals
    client.force_login(reader)
    expected = {
        "": 3,
        "?market__exact=US": 2,
        "?market__exact=JP": 0,
        f"?day__gte={(suppliers_today() - timedelta(days=7)).isoformat()}": 2,
        "?q=toothbrush": 2,
        f"?q={a.pk}": 2,
    }
    for query, count in expected.items():
        response = client.get(ROWS + query)
        assert response.status_code == 200, query
        assert response.context["cl"].result_count == count, query
    assert "Bamboo toothbrush" in client.get(ROWS).content.decode()


def test_a_row_is_read_only(client, reader, signals):
    client.force_login(reader)
    row = DemandSignal.objects.first()
    page = client.get(f"{ROWS}{row.pk}/change/")
    assert page.status_code == 200
    assert client.get(f"{ROWS}add/").status_code == 403
    assert client.post(f"{ROWS}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DemandSignal.objects.count() == 3


def test_the_list_in_chinese(client, reader, signals):
    client.force_login(reader)
    response = client.get(ROWS, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "需求信号" in response.content.decode()


def test_without_the_permission_staff_see_no_signals(client, finance_user, signals):
    client.force_login(finance_user)  # finance's role does not read demand signals
    assert client.get(ROWS).status_code == 403
