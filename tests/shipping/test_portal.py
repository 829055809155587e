"""The portal's Parcels section: the supplier's parcels (filter by status), the "To ship" tab of
its semi-managed parcels with the carrier and tracking form, a parcel's milestones in China
time, items, events and hold reasons; in English and Chinese. Another supplier's people see none
of it and every address with this supplier's parcel id is a 404 that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from marketplace.models import Event
from orders.models import ConsumerOrder
from shipping.models import Parcel
from shipping.services.parcels import consumer_order_place
from tests import isolation
from tests.factories.catalogue import ProductFactory
from tests.factories.logistics import member_of
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, rival_member

from .support import hold, semi_managed_listing, storefront_user

pytestmark = pytest.mark.django_db

SECRETS = ["Secret Lunch Box", "秘密饭盒", "SO-SECRET-9", "1ZSECRET0001"]
PAGES = ["portal:parcels", "portal:parcels_to_ship"]


def place(external_id: str, listing=None) -> Parcel:
    listing = listing or semi_managed_listing(5)
    order = consumer_order_place(
        listing_id=listing.pk, quantity=1, external_id=external_id, market="US",
        actor=storefront_user(),
    )  # fmt: skip
    assert isinstance(order, ConsumerOrder)
    return Parcel.objects.get(order=order)


@pytest.fixture
def secret():
    listing = semi_managed_listing(20)
    listing.product = ProductFactory(
        owner=listing.supplier, title_en="Secret Lunch Box", title_zh="秘密饭盒"
    )
    listing.save(update_fields=["product"])
    owner = member_of(listing)
    waiting = place("SO-SECRET-9", listing)
    shipped = place("SO-SECRET-10", listing)
    client_ship(owner, shipped, "1ZSECRET0001")
    return {"owner": owner, "waiting": waiting, "shipped": shipped, "listing": listing}


def client_ship(owner, parcel: Parcel, number: str) -> None:
    from shipping.services.parcels import parcel_ship

    parcel_ship(parcel, carrier="UPS", tracking_number=number, actor=owner)


@pytest.fixture(params=RIVAL_ROLES)
def rival(request):
    listing = semi_managed_listing(5)
    place("SO-RIVAL", listing)
    return rival_member(request.param, listing.supplier)


@pytest.mark.parametrize("name", PAGES)
def test_another_supplier_never_sees_this_suppliers_parcels(client, secret, rival, name):
    client.force_login(rival)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert isolation.leaked(response, SECRETS) == []
    assert isolation.leaked(client.get(reverse(name), {"status": "picked_up"}), SECRETS) == []


@pytest.mark.parametrize("name", PAGES)
def test_the_markers_show_to_the_supplier_itself(client, secret, name):
    client.force_login(secret["owner"])
    assert isolation.leaked(client.get(reverse(name)), SECRETS)


def state():
    return (
        list(Parcel.objects.values_list("pk", "tracking_number", "status").order_by("pk")),
        list(ConsumerOrder.objects.values_list("pk", "status").order_by("pk")),
        Event.objects.count(),
    )


def test_every_id_of_this_supplier_is_a_404_for_another(client, secret, rival):
    client.force_login(rival)
    waiting, shipped = secret["waiting"], secret["shipped"]
    requests = [
        ("get", reverse("portal:parcel_detail", args=[waiting.pk]), {}),
        ("get", reverse("portal:parcel_detail", args=[shipped.pk]), {}),
        (
            "post",
            reverse("portal:parcel_ship", args=[waiting.pk]),
            {"carrier": "UPS", "tracking_number": "1ZMINE00001"},
        ),
    ]
    assert_ids_are_404(client, requests, state=state, secrets=SECRETS)


def test_the_seller_ships_from_the_to_ship_tab(client, secret):
    client.force_login(secret["owner"])
    waiting = secret["waiting"]
    page = client.get(reverse("portal:parcels_to_ship")).content.decode()
    assert f'data-testid="ship-form-{waiting.pk}"' in page
    assert f'data-testid="ship-form-{secret["shipped"].pk}"' not in page
    response = client.post(
        reverse("portal:parcel_ship", args=[waiting.pk]),
        {"carrier": "DHL eCommerce", "tracking_number": "gm1234567890"},
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.carrier, waiting.tracking_number) == ("DHL eCommerce", "GM1234567890")
    assert waiting.status == Parcel.Status.PICKED_UP
    assert "ship-form-" not in client.get(reverse("portal:parcels_to_ship")).content.decode()


def test_a_refused_shipment_shows_the_field_or_the_hold(client, secret):
    client.force_login(secret["owner"])
    waiting = secret["waiting"]
    url = reverse("portal:parcel_ship", args=[waiting.pk])
    page = client.post(url, {"carrier": "UPS", "tracking_number": "bad!"}).content.decode()
    assert "letters, digits or dashes" in page
    hold(secret["listing"])
    page = client.post(url, {"carrier": "UPS", "tracking_number": "1ZOK0000001"}).content.decode()
    assert 'data-testid="hold-reasons"' in page
    waiting.refresh_from_db()
    assert waiting.held_at is not None
    assert waiting.tracking_number == ""


def test_the_detail_shows_milestones_in_china_time_and_reads_in_chinese(client, secret):
    shipped = secret["shipped"]
    Parcel.objects.filter(pk=shipped.pk).update(picked_up_at=datetime(2026, 3, 1, 2, 5, tzinfo=UTC))
    client.force_login(secret["owner"])
    page = client.get(reverse("portal:parcel_detail", args=[shipped.pk])).content.decode()
    assert "2026-03-01 10:05" in page  # UTC+8
    assert "1ZSECRET0001" in page
    assert 'data-testid="tracking-events"' in page
    client.cookies["django_language"] = "zh-hans"
    page = client.get(
        reverse("portal:parcel_detail", args=[shipped.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "里程碑" in page
    assert "运单号" in page
    assert "Milestones" not in page


def test_the_items_read_as_the_products_chinese_title_with_money_on_one_line(client, secret):
    shipped = secret["shipped"]
    client.force_login(secret["owner"])
    url = reverse("portal:parcel_detail", args=[shipped.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    items = page.split('data-testid="parcel-items"')[1].split("</table>")[0]
    assert "秘密饭盒" in items
    value = shipped.items.get().unit_value
    assert f'<span class="money">{value} {shipped.currency}</span>' in items


def test_the_list_costs_the_same_queries_for_2_rows_as_for_10(client, secret):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(secret["owner"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:parcels")).status_code == 200
            assert client.get(reverse("portal:parcels_to_ship")).status_code == 200
        return len(queries)

    two = count()
    for n in range(8):
        place(f"SO-MORE-{n}", secret["listing"])
    assert count() == two
