"""The operators' consignment flow in the Django admin, in a real browser: an operator issues a
stocking order through the add form (listing picked in the autocomplete), counts an arrived
shipment's line, reads the sampling plan before recording the inspection, and finds the accepted
lot in the stock positions. See conftest.py for the route guard every test runs under."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from accounts.roles import OPERATORS
from logistics.models import Inspection, StockingOrder
from logistics.services.inbound.inspection import inspection_plan
from tests.factories.accounts import PASSWORD, staff_user
from tests.factories.catalogue import ProductFactory
from tests.factories.logistics import WarehouseFactory, position_of, shipment_for, stocked_listing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DECLARED = 50
RECEIVED = 50
DAMAGED = 2


def path_of(page: Any) -> str:
    return urlsplit(page.url).path


def sign_in(page: Any, live_server: Any, username: str) -> None:
    page.goto(live_server.url + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#login-form [type=submit]")
    assert path_of(page) == "/admin/", page.url


def test_issue_count_inspect_and_see_the_stock(live_server, page, shot):
    staff_user(OPERATORS, username="op")
    listing = stocked_listing(new=False)
    listing.product = ProductFactory(title_en="Lantern Crate", title_zh="灯笼箱")
    listing.save(update_fields=["product"])
    hub = WarehouseFactory(name="Foshan hub")
    # The supplier already answered an earlier order: its shipment is at the hub, not counted.
    shipment = shipment_for(listing, DECLARED, warehouse=hub, status="arrived")
    line = shipment.lines.get()
    earlier = set(StockingOrder.objects.values_list("pk", flat=True))

    # 1. Logistics -> Stocking orders -> Add: issue an order through the form.
    sign_in(page, live_server, "op")
    app = page.locator("#content-main .app-logistics")
    with page.expect_navigation():
        app.locator("tr.model-stockingorder th a").click()
    assert path_of(page) == reverse("admin:logistics_stockingorder_changelist"), page.url
    with page.expect_navigation():
        page.click("#content-main a.addlink")
    assert path_of(page) == reverse("admin:logistics_stockingorder_add"), page.url

    # The listing is an autocomplete (select2): search it by its product's title.
    page.click("#id_listing + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", "Lantern")
    option = page.locator(".select2-results__option", has_text="Lantern Crate")
    option.wait_for()
    option.click()
    assert page.input_value("#id_listing") == str(listing.pk)
    page.fill("#id_quantity", "30")
    page.select_option("#id_warehouse", str(hub.pk))
    shot("stocking-order-add")
    with page.expect_navigation():
        page.click("#stockingorder_form input[name=_save]")
    assert path_of(page) == reverse("admin:logistics_stockingorder_changelist"), page.url
    assert page.locator(".messagelist .success").count() == 1, page.content()
    order = StockingOrder.objects.exclude(pk__in=earlier).get()
    assert (order.listing_id, order.quantity, order.warehouse_id) == (listing.pk, 30, hub.pk)
    assert order.status == StockingOrder.Status.ISSUED
    row = page.locator("#result_list tbody tr", has_text=f"Lantern Crate (#{listing.pk})").filter(
        has=page.locator(f"a[href$='/{order.pk}/change/']")
    )
    assert row.count() == 1
    assert "30" in row.inner_text()
    assert "Foshan hub" in row.inner_text()
    shot("stocking-orders")

    # 2. The arrived shipment: count its line...
    shipment_url = reverse("admin:logistics_inboundshipment_change", args=[shipment.pk])
    with page.expect_navigation():
        page.click("#nav-sidebar tr.model-inboundshipment th a")
    assert path_of(page) == reverse("admin:logistics_inboundshipment_changelist"), page.url
    with page.expect_navigation():
        page.click(f"#result_list a[href='{shipment_url}']")
    assert path_of(page) == shipment_url, page.url
    assert "Arrived" in page.locator("#content-main").inner_text()
    count_url = reverse("admin:logistics_inboundline_count", args=[line.pk])
    inspect_url = reverse("admin:logistics_inboundline_inspect", args=[line.pk])
    assert page.locator(f"a[href='{inspect_url}']").count() == 0  # not counted yet
    shot("shipment-arrived")
    with page.expect_navigation():
        page.click(f"a[href='{count_url}']")
    assert path_of(page) == count_url, page.url
    form = page.locator("[data-testid=form-page]")
    form.locator("#id_received").fill(str(RECEIVED))
    form.locator("#id_damaged").fill(str(DAMAGED))
    shot("count")
    with page.expect_navigation():
        form.locator("input[type=submit][value='Record the count']").click()
    assert path_of(page) == shipment_url, page.url
    message = page.locator(".messagelist .success").inner_text()
    assert f"{RECEIVED} received, {DAMAGED} damaged" in message, message
    assert "Receiving" in page.locator("#content-main").inner_text()
    line.refresh_from_db()
    assert (line.received, line.damaged) == (RECEIVED, DAMAGED)

    # ... then inspect it: the plan is on the page before anything is entered.
    with page.expect_navigation():
        page.click(f"a[href='{inspect_url}']")
    assert path_of(page) == inspect_url, page.url
    plan = inspection_plan(line).plan
    table = page.locator("[data-testid=inspection-plan]")
    assert table.is_visible()
    # ISO 2859-1, general level II, normal, AQL 2.5: a lot of 48 is letter D, whose plan at 2.5
    # is the one above it (n=5, Ac 0, Re 1). The page shows what the service computes.
    assert (plan.letter, plan.sample_size, plan.accept, plan.reject) == ("D", 5, 0, 1)
    assert table.locator("[data-plan=lot]").inner_text() == str(RECEIVED - DAMAGED)
    assert table.locator("[data-plan=aql]").inner_text() == str(plan.aql)
    assert table.locator("[data-plan=letter]").inner_text() == plan.letter
    assert table.locator("[data-plan=n]").inner_text().endswith(str(plan.sample_size))
    assert table.locator("[data-plan=ac]").inner_text() == str(plan.accept)
    assert table.locator("[data-plan=re]").inner_text() == str(plan.reject)
    assert table.locator("[data-plan=severity]").inner_text() == str(plan.severity) == "normal"
    assert table.locator("[data-plan=why]").inner_text().strip()
    inspect_form = page.locator("[data-testid=inspect-form]")
    assert inspect_form.locator("#id_defects").input_value() == ""
    assert page.locator("[data-testid=inspection-result]").count() == 0
    shot("inspection-plan")

    inspect_form.locator("#id_defects").fill(str(plan.accept))  # at most Ac: accepted
    inspect_form.locator("#id_notes").fill("Cartons dry, labels right.")
    with page.expect_navigation():
        inspect_form.locator("input[type=submit][value='Record the inspection']").click()
    assert path_of(page) == inspect_url, page.url
    assert "Lot Accepted." in page.locator(".messagelist .success").inner_text()
    result = page.locator("[data-testid=inspection-result]")
    assert result.locator("[data-result]").get_attribute("data-result") == "accepted"
    assert "Cartons dry, labels right." in result.inner_text()
    assert page.locator("[data-testid=inspect-form]").count() == 0
    shot("inspection-result")
    inspection = Inspection.objects.get(line=line)
    assert inspection.result == Inspection.Result.ACCEPTED
    assert (inspection.letter, inspection.sample_size) == (plan.letter, plan.sample_size)

    # 3. Stock positions: the accepted lot's sound units are on hand.
    with page.expect_navigation():
        page.goto(live_server.url + "/admin/")
    with page.expect_navigation():
        page.locator("#content-main .app-logistics tr.model-stockposition th a").click()
    assert path_of(page) == reverse("admin:logistics_stockposition_changelist"), page.url
    row = page.locator("#result_list tbody tr", has_text=f"Lantern Crate (#{listing.pk})")
    assert row.count() == 1
    assert "Foshan hub" in row.inner_text()
    assert row.locator("td.field-on_hand").inner_text() == str(RECEIVED - DAMAGED)
    assert position_of(listing).on_hand == RECEIVED - DAMAGED
    shot("stock-positions")
