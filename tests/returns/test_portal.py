"""The portal's returns section: returns and chargebacks in the reader's language and China
time, the appeal within the window, query counts, and isolation between suppliers."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from returns.models import Chargeback, ReturnRequest
from returns.services.chargebacks import chargeback_decide
from returns.services.receiving import Inspection, refund_record, return_inspect
from returns.services.requests import return_authorise
from suppliers.models import Membership
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.logistics import operator
from tests.factories.suppliers import MembershipFactory, funded_supplier
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, leaked, rival_member

from .conftest import delivered, open_return

pytestmark = pytest.mark.django_db

SECRETS = ["Secret Kite", "秘密风筝", "Smells of secret paint", "secret appeal words"]
PAGES = ["portal:returns", "portal:chargebacks"]


def _member(listing) -> Membership:
    return MembershipFactory(supplier=listing.supplier, role="owner")


@pytest.fixture
def secret(storefront, centre):
    """A supplier's return (inspected, refunded, one unit charged back and appealed)."""
    supplier = funded_supplier()
    product = ProductFactory(owner=supplier, title_en="Secret Kite", title_zh="秘密风筝")
    listing = ListingFactory(supplier=supplier, product=product, status="live")
    parcel = delivered(storefront, listing=listing, quantity=2)
    request = open_return(
        storefront, parcel, quantity=2, reason="other", note="Smells of secret paint"
    )
    staff = operator()
    return_authorise(request, actor=staff)
    return_inspect(request, {request.lines.get().pk: Inspection(2, 1, 1, 1, 0)}, actor=staff)
    refund_record(request, amount="40.00", actor=staff)
    member = _member(listing)
    chargeback = Chargeback.objects.get()
    chargeback.appeal_text = "secret appeal words"
    Chargeback.objects.filter(pk=chargeback.pk).update(appeal_text="secret appeal words")
    return {"request": request, "chargeback": chargeback, "member": member.user}


def test_the_supplier_reads_its_return_with_reasons_dispositions_and_refund(client, secret):
    client.force_login(secret["member"])
    request = secret["request"]
    page = client.get(reverse("portal:returns"))
    assert page.status_code == 200
    assert f'data-return="{request.pk}"' in page.content.decode()
    detail = client.get(reverse("portal:return_detail", args=[request.pk])).content.decode()
    assert "Smells of secret paint" in detail
    assert "40.00 USD" in detail
    assert "China time" in detail
    zh = client.get(
        reverse("portal:return_detail", args=[request.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert "其他" in zh.content.decode()  # the reason's Chinese label


def test_the_supplier_appeals_a_chargeback_within_the_window(client, secret):
    client.force_login(secret["member"])
    chargeback = secret["chargeback"]
    url = reverse("portal:chargeback_detail", args=[chargeback.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="appeal-form"' in page
    assert "35.00 CNY" in page
    assert "China time" in page
    refused = client.post(url, {"text": ""})
    assert refused.status_code == 200
    response = client.post(url, {"text": "The unit left us sound"})
    assert response.status_code == 302
    chargeback.refresh_from_db()
    assert chargeback.status == Chargeback.Status.APPEALED
    chargeback_decide(chargeback, uphold=True, note="Transit damage", actor=operator())
    after = client.get(url).content.decode()
    assert "Transit damage" in after
    assert "given back" in after


def test_after_the_window_the_page_says_it_closed(client, secret):
    client.force_login(secret["member"])
    chargeback = secret["chargeback"]
    Chargeback.objects.filter(pk=chargeback.pk).update(
        charged_at=timezone.now() - timedelta(days=8)
    )
    url = reverse("portal:chargeback_detail", args=[chargeback.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="appeal-closed"' in page
    assert client.post(url, {"text": "late"}).status_code == 200
    chargeback.refresh_from_db()
    assert chargeback.status == Chargeback.Status.STANDING


def test_the_chargebacks_list_gives_the_deadline_in_china_time_and_days_left(client, secret):
    client.force_login(secret["member"])
    chargeback = secret["chargeback"]
    page = client.get(reverse("portal:chargebacks")).content.decode()
    until = timezone.localtime(chargeback.appeal_until, ZoneInfo("Asia/Shanghai"))
    assert until.strftime("%Y-%m-%d %H:%M") in page
    # Whole days, as the portal's other deadlines: no ticking countdown with seconds in a cell.
    assert "6 days left" in page
    assert 'data-testid="appeal-countdown"' not in page
    zh = client.get(reverse("portal:chargebacks"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = zh.content.decode()
    assert "剩余 6 天" in text
    # One word for a chargeback: the column says what the tab says.
    assert "<th>扣款</th>" in text
    assert "拒付扣款" not in text


def test_the_return_reads_in_chinese_with_the_products_title_and_money_on_one_line(client, secret):
    client.force_login(secret["member"])
    request = secret["request"]
    url = reverse("portal:return_detail", args=[request.pk])
    en = client.get(url).content.decode()
    assert '<span class="money">40.00 USD</span>' in en
    # The portal's sections share one style of tabs.
    assert '<nav class="tabs"' in en
    zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    # The missing units' column, not the catalogue's "not set".
    assert "缺失" in zh
    assert "未设置" not in zh
    # The item is the product's Chinese title; the customs description stays beside it.
    lines = zh.split('data-testid="return-lines"')[1]
    assert "秘密风筝" in lines
    assert "已寄回 " not in zh


@pytest.mark.parametrize("name", PAGES)
def test_list_queries_do_not_grow(client, storefront, centre, name, django_assert_max_num_queries):
    supplier = funded_supplier()
    listing = ListingFactory(supplier=supplier, status="live")
    member = _member(listing)
    staff = operator()

    def one() -> None:
        parcel = delivered(storefront, listing=listing)
        reference = f"R-{ReturnRequest.objects.count()}"
        request = open_return(storefront, parcel, external_id=reference)
        return_authorise(request, actor=staff)
        return_inspect(request, {request.lines.get().pk: Inspection(1, 1, 0, 1, 0)}, actor=staff)

    client.force_login(member.user)
    for _ in range(2):
        one()
    with django_assert_max_num_queries(30) as few:
        assert client.get(reverse(name)).status_code == 200
    for _ in range(8):
        one()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


@pytest.fixture(params=RIVAL_ROLES)
def rival(request, db):
    return rival_member(request.param)


def test_another_supplier_sees_none_of_it(client, secret, rival):
    client.force_login(rival)
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert leaked(response, SECRETS) == [], name
    request, chargeback = secret["request"], secret["chargeback"]

    def state() -> object:
        return list(Chargeback.objects.values_list("pk", "status", "appeal_text"))

    assert_ids_are_404(
        client,
        [
            ("get", reverse("portal:return_detail", args=[request.pk]), {}),
            ("get", reverse("portal:chargeback_detail", args=[chargeback.pk]), {}),
            ("post", reverse("portal:chargeback_detail", args=[chargeback.pk]), {"text": "x"}),
        ],
        state=state,
        secrets=SECRETS,
    )
