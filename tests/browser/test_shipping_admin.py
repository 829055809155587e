"""The operators' parcel and batch lists at 1366 px, in English and Chinese: they fit beside the
navigation and the filters without sideways scrolling (the hold queue included). Screenshots go
to test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.roles import OPERATORS
from logistics.models import Warehouse
from shipping.services.batches import batch_add_parcels, batch_create
from tests.browser.test_admin_layout import DESKTOP, LANGUAGES, assert_fits, sign_in
from tests.factories.accounts import staff_user
from tests.factories.logistics import WarehouseFactory
from tests.factories.shipping import LastMilePartnerFactory, consumer_order, parcel
from tests.factories.suppliers import SupplierFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def browser_context_args():
    return DESKTOP


@pytest.fixture
def shipping_data():
    staff_user(OPERATORS, username="op")
    supplier = SupplierFactory(
        name_en="Shenzhen Bright Toys Manufacturing Co., Ltd.", name_zh="深圳明亮玩具制造有限公司"
    )
    now = timezone.now()
    for n, market in enumerate(["US", "UK", "EU", "CA", "AU", "JP"]):
        order = consumer_order(market=market, quantity=n + 1, supplier_id=supplier.pk)
        parcel(order, held_at=now if n == 2 else None, late_flagged_at=now if n == 3 else None)
    batch = batch_create(
        master_air_waybill="176-12345675",
        flight_number="CZ327",
        origin_hub=WarehouseFactory(kind=Warehouse.Kind.HUB),
        market="US",
        last_mile=LastMilePartnerFactory(market="US", name="USPS Ground Advantage"),
        planned_departure=now + timedelta(hours=6),
        actor=None,
    )
    from shipping.models import Parcel

    batch_add_parcels(batch, Parcel.objects.all(), actor=None)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_parcel_and_batch_lists_fit_1366_px(live_server, page, shot, shipping_data, language):
    sign_in(page, live_server, language)
    for url in (
        "/admin/shipping/parcel/",
        "/admin/shipping/parcel/?held=yes",
        "/admin/shipping/airfreightbatch/",
        "/admin/shipping/lastmilepartner/",
    ):
        page.goto(live_server.url + url)
        assert page.locator("#result_list tbody tr").count() >= 1, url
        assert_fits(page, url)
        shot(url.strip("/").replace("/", "-").replace("?", "-"))


@pytest.fixture
def outbound_data(shipping_data):
    """The customs tables as seeded, a customs decision per parcel, and a return with a
    chargeback from a supplier with a long name."""
    import importlib

    from django.apps import apps

    from shipping.models import Parcel
    from shipping.services.customs import parcels_decide
    from tests.returns.conftest import delivered, open_return, return_centre, seed_reasons
    from tests.returns.conftest import storefront_user as returns_storefront

    importlib.import_module("customs.migrations.0002_seed_rules").seed(apps, None)
    parcels_decide(Parcel.objects.all())
    seed_reasons()
    return_centre("US")
    storefront = returns_storefront("Returns storefront")
    from accounts.models import User
    from returns.services.receiving import Inspection, return_inspect
    from returns.services.requests import return_authorise

    operator = User.objects.get(username="op")
    request = open_return(storefront, delivered(storefront), external_id="R-LONG-REFERENCE-1")
    return_authorise(request, actor=operator)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 1, 0, 1, 0)}, actor=operator)
    open_return(storefront, delivered(storefront), external_id="R-LONG-REFERENCE-2")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_customs_and_returns_lists_fit_1366_px(
    live_server, page, shot, outbound_data, language
):
    sign_in(page, live_server, language)
    for url in (
        "/admin/customs/deminimisrule/",
        "/admin/customs/dutyrate/",
        "/admin/shipping/customsdecision/",
        "/admin/returns/returnrequest/",
        "/admin/returns/chargeback/",
    ):
        page.goto(live_server.url + url)
        assert page.locator("#result_list tbody tr").count() >= 1, url
        assert_fits(page, url)
        shot(url.strip("/").replace("/", "-"))
