"""The operators' parcel screens: the parcel list (filters, the hold queue) and a parcel with
its items and tracking events read-only; the batch action; batches opened with the add form
(a refusal on its field) and departed by the action; the consumer orders' fulfil action packs
parcels. Lists cost the same queries for 2 rows as for 10."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logistics.models import Warehouse
from orders.models import ConsumerOrder
from shipping.models import AirFreightBatch, Parcel
from shipping.services.batches import batch_create
from tests.factories.logistics import WarehouseFactory, operator, stocked_listing
from tests.factories.shipping import LastMilePartnerFactory, parcel

from .support import storefront_user

pytestmark = pytest.mark.django_db
A = "/admin/shipping"


@pytest.fixture
def staff(client):
    client.force_login(operator())
    return client


def act(client, url, action, rows, **fields):
    response = client.post(
        url, {"action": action, "_selected_action": [r.pk for r in rows], **fields}, follow=True
    )
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def test_the_parcel_list_filters_and_the_hold_queue(staff):
    held = parcel(held_at=timezone.now(), hold_reasons=[{"code": "market_hold", "on": None}])
    free = parcel(late_flagged_at=timezone.now())
    page = staff.get(f"{A}/parcel/", {"held": "yes"}).content.decode()
    assert held.tracking_number in page
    assert free.tracking_number not in page
    page = staff.get(f"{A}/parcel/", {"late": "yes"}).content.decode()
    assert free.tracking_number in page
    assert held.tracking_number not in page
    for query in ({"market": "US"}, {"status": "created"}, {"mode": "platform"}):
        assert staff.get(f"{A}/parcel/", query).status_code == 200
    detail = staff.get(f"{A}/parcel/{held.pk}/change/").content.decode()
    assert "Held off sale in this market" in detail  # the reason, worded
    assert held.items.get().hs_code in detail


def test_the_parcel_list_costs_the_same_for_2_rows_as_for_10(staff):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(f"{A}/parcel/").status_code == 200
        return len(queries)

    for _ in range(2):
        parcel()
    count()
    two = count()
    for _ in range(8):
        parcel()
    assert count() == two


def test_parcels_join_a_batch_by_the_action_and_it_departs(staff):
    partner = LastMilePartnerFactory(market="US")
    batch = batch_create(
        master_air_waybill="176-12345675",
        flight_number="CZ327",
        origin_hub=WarehouseFactory(kind=Warehouse.Kind.HUB),
        market="US",
        last_mile=partner,
        planned_departure=timezone.now() + timedelta(hours=2),
        actor=None,
    )
    mine, held = parcel(), parcel(held_at=timezone.now())
    said = act(staff, f"{A}/parcel/", "add_to_batch", [mine, held], batch=batch.pk)
    assert said == [
        (
            "success",
            "1 parcel added to 176-12345675. 1 was not eligible (another market, held, in a "
            "batch or left).",
        )
    ]
    said = act(staff, f"{A}/airfreightbatch/", "depart", [batch])
    assert said == [("success", "1 batch departed.")]
    mine.refresh_from_db()
    assert mine.status == Parcel.Status.DEPARTED_ORIGIN
    assert staff.get(f"{A}/airfreightbatch/").status_code == 200
    assert staff.get(f"{A}/airfreightbatch/{batch.pk}/change/").status_code == 200


def test_a_batch_is_opened_with_the_form_and_a_refusal_names_its_field(staff):
    partner = LastMilePartnerFactory(market="US")
    hub = WarehouseFactory(kind=Warehouse.Kind.HUB)
    data = {
        "master_air_waybill": "17612345675",
        "flight_number": "CZ327",
        "origin_hub": hub.pk,
        "market": "US",
        "last_mile": partner.pk,
        "planned_departure_0": "2026-12-24",
        "planned_departure_1": "10:00:00",
    }
    response = staff.post(f"{A}/airfreightbatch/add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert AirFreightBatch.objects.get().master_air_waybill == "176-12345675"
    response = staff.post(f"{A}/airfreightbatch/add/", {**data, "market": "UK"})
    assert response.status_code == 200
    assert "Not active in UK." in response.content.decode()
    assert AirFreightBatch.objects.count() == 1


def test_the_consumer_order_fulfil_action_packs_parcels(staff):
    from shipping.services.parcels import consumer_order_place

    listing = stocked_listing(5)
    order = consumer_order_place(
        listing_id=listing.pk, quantity=2, external_id="A-1", market="US", actor=storefront_user()
    )
    assert isinstance(order, ConsumerOrder)
    said = act(staff, "/admin/orders/consumerorder/", "fulfil", [order])
    assert said == [("success", "1 order fulfilled.")]
    assert Parcel.objects.filter(order=order).count() == 1
    assert staff.get(f"{A}/lastmilepartner/").status_code == 200


def test_the_parcel_page_reads_in_words_in_both_languages(staff):
    from shipping.models import TrackingEvent

    shown = parcel(exception_at=timezone.now(), exception_note="Address unknown")
    item = shown.items.get()
    assert str(item) == f"{item.quantity} x {item.description}"
    event = TrackingEvent.objects.create(
        parcel=shown, external_id="e1", code="picked_up", occurred_at=timezone.now()
    )
    assert str(event) == "Picked up"
    listing = staff.get(f"{A}/parcel/").content.decode()
    assert "United States" in listing
    assert "US (US)" not in listing
    detail = staff.get(f"{A}/parcel/{shown.pk}/change/").content.decode()
    assert "Last exception" in detail
    assert "Exception note" in detail
    staff.cookies["django_language"] = "zh-hans"
    chinese = staff.get(f"{A}/parcel/{shown.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = chinese.content.decode()
    assert "已创建" in text  # the status, not the time it was created
    assert "扣留起始时间" in text  # held_at: not the quarantine's "隔离时间"
    assert "隔离时间" not in text
    batches = staff.get(f"{A}/airfreightbatch/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert batches.status_code == 200


def test_who_did_it_is_labelled_in_chinese():
    from django.utils import translation

    from returns.models import Chargeback, Refund, ReturnLine, ReturnRateBreach

    fields = [
        (AirFreightBatch, "created_by", "创建人"),
        (Chargeback, "decided_by", "裁定人"),
        (ReturnRateBreach, "decided_by", "裁定人"),
        (Refund, "recorded_by", "记录人"),
        (ReturnLine, "inspected_by", "检验人"),
        (ReturnLine, "received", "实收数量"),
    ]
    with translation.override("zh-hans"):
        for model, name, words in fields:
            assert str(model._meta.get_field(name).verbose_name) == words, (model, name)
        assert str(Parcel.Status.CREATED.label) == "已创建"
