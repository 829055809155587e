"""The operators' screens: authorise and decline by action, receive and inspect line by line,
record the refund, decide chargeback appeals; lists keep their query count."""

from __future__ import annotations

import pytest

from accounts.roles import FINANCE, OPERATORS
from returns.models import Chargeback, Refund, ReturnReason, ReturnRequest
from returns.services.chargebacks import chargeback_appeal
from returns.services.receiving import Inspection, return_inspect
from returns.services.requests import return_authorise
from suppliers.models import LedgerEntry
from tests.factories.accounts import staff_user
from tests.factories.logistics import member_of

from .conftest import delivered, open_return

pytestmark = pytest.mark.django_db

RETURNS = "/admin/returns/returnrequest/"
CHARGEBACKS = "/admin/returns/chargeback/"


@pytest.fixture
def staff(client):
    """An operator by role (accounts 0012), not a superuser."""
    user = staff_user(OPERATORS)
    client.force_login(user)
    return user


def _action(client, url, action, rows, **extra):
    return client.post(
        url,
        {"action": action, "_selected_action": [r.pk for r in rows], "index": 0, **extra},
        follow=True,
    )


def test_authorise_and_decline_by_action(client, staff, storefront, centre):
    first = open_return(storefront, delivered(storefront), external_id="A")
    second = open_return(storefront, delivered(storefront), external_id="B")
    _action(client, RETURNS, "authorise", [first])
    first.refresh_from_db()
    assert first.status == ReturnRequest.Status.OPEN
    page = _action(client, RETURNS, "decline", [second], decline_reason="other", note="")
    assert "Say why the return is declined." in page.content.decode()
    second.refresh_from_db()
    assert second.status == ReturnRequest.Status.REQUESTED
    _action(client, RETURNS, "decline", [second], decline_reason="final_sale", note="")
    second.refresh_from_db()
    assert second.status == ReturnRequest.Status.DECLINED


def test_the_return_centre_inspects_line_by_line(client, staff, storefront, centre):
    request = open_return(storefront, delivered(storefront, quantity=2), quantity=2)
    return_authorise(request, actor=staff)
    page = client.get(f"{RETURNS}{request.pk}/change/")
    assert f"{RETURNS}{request.pk}/inspect/" in page.content.decode()
    line = request.lines.get()
    url = f"{RETURNS}{request.pk}/inspect/"
    assert client.get(url).status_code == 200
    prefix = f"line-{line.pk}"
    bad = {
        f"{prefix}-received": 2,
        f"{prefix}-defective": 1,
        f"{prefix}-restocked": 2,
        f"{prefix}-not_restocked": 0,
        f"{prefix}-missing": 0,
    }
    refused = client.post(url, bad)
    assert refused.status_code == 200
    assert "Only sound units are restocked" in refused.content.decode()
    good = {**bad, f"{prefix}-restocked": 1, f"{prefix}-not_restocked": 1}
    assert client.post(url, good).status_code == 302
    line.refresh_from_db()
    assert (line.received, line.defective, line.restocked) == (2, 1, 1)
    assert Chargeback.objects.get().units == 1


def test_the_refund_form_records_the_refund_and_refuses_too_much(client, staff, storefront, centre):
    request = open_return(storefront, delivered(storefront, unit_price="25.00"))
    return_authorise(request, actor=staff)
    line = request.lines.get()
    url = f"{RETURNS}{request.pk}/refund/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"amount": "26.00", f"units_{line.pk}": 1})
    assert refused.status_code == 200
    assert "shipping not included" in refused.content.decode()
    assert not Refund.objects.exists()
    done = client.post(url, {"amount": "26.00", "shipping_included": "on", f"units_{line.pk}": 1})
    assert done.status_code == 302
    assert Refund.objects.get().amount == 26


def _appealed(storefront, staff) -> Chargeback:
    reference = f"R-{ReturnRequest.objects.count()}"
    request = open_return(storefront, delivered(storefront), external_id=reference)
    return_authorise(request, actor=staff)
    return_inspect(request, {request.lines.get().pk: Inspection(1, 1, 0, 1, 0)}, actor=staff)
    chargeback = Chargeback.objects.get(line__request=request)
    return chargeback_appeal(chargeback, text="Not ours", actor=member_of(request.listing))


def test_finance_upholds_or_dismisses_appeals_with_a_note(client, staff, storefront, centre):
    chargeback = _appealed(storefront, staff)
    client.force_login(staff_user(FINANCE))
    page = _action(client, CHARGEBACKS, "uphold", [chargeback], note="")
    assert "Say why." in page.content.decode()
    _action(client, CHARGEBACKS, "uphold", [chargeback], note="Transit damage")
    chargeback.refresh_from_db()
    assert chargeback.status == Chargeback.Status.UPHELD
    assert chargeback.reversal.kind == LedgerEntry.Kind.CHARGEBACK_REVERSAL
    assert client.get(f"{CHARGEBACKS}{chargeback.pk}/change/").status_code == 200


def test_reasons_are_edited_not_deleted(client, staff):
    reason = ReturnReason.objects.get(code="size")
    page = client.get(f"/admin/returns/returnreason/{reason.pk}/change/")
    assert page.status_code == 200
    assert f"/admin/returns/returnreason/{reason.pk}/delete/" not in page.content.decode()


@pytest.mark.parametrize("url", [RETURNS, CHARGEBACKS])
def test_lists_keep_a_constant_number_of_queries(
    client, staff, storefront, centre, url, django_assert_max_num_queries
):
    _appealed(storefront, staff)
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        _appealed(storefront, staff)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_inspect_page_refuses_a_return_not_waiting_for_its_goods(
    client, staff, storefront, centre
):
    requested = open_return(storefront, delivered(storefront), external_id="Q")
    page = client.get(f"{RETURNS}{requested.pk}/inspect/", follow=True)
    assert page.redirect_chain[-1][0] == f"{RETURNS}{requested.pk}/change/"
    assert "cannot be received and inspected" in page.content.decode()
    inspected = open_return(storefront, delivered(storefront), external_id="I")
    return_authorise(inspected, actor=staff)
    line = inspected.lines.get()
    return_inspect(inspected, {line.pk: Inspection(1, 1, 0, 1, 0)}, actor=staff)
    url = f"{RETURNS}{inspected.pk}/inspect/"
    assert client.get(url).status_code == 302
    prefix = f"line-{line.pk}"
    posted = {f"{prefix}-received": 1, f"{prefix}-restocked": 1, f"{prefix}-defective": 0}
    assert (
        client.post(
            url, {**posted, f"{prefix}-not_restocked": 0, f"{prefix}-missing": 0}
        ).status_code
        == 302
    )
    line.refresh_from_db()
    assert (line.received, line.defective) == (1, 1)


def test_a_returns_page_words_its_lines_and_refund(client, staff, storefront, centre):
    request = open_return(storefront, delivered(storefront, unit_price="25.00", quantity=2))
    return_authorise(request, actor=staff)
    line = request.lines.get()
    assert str(line) == f"1 x {line.item.description}"
    client.post(
        f"{RETURNS}{request.pk}/refund/",
        {"amount": "25.00", f"units_{line.pk}": 1},
    )
    assert Refund.objects.filter(request=request).exists()
    page = client.get(f"{RETURNS}{request.pk}/change/").content.decode()
    assert f"1 x {line.item.description}" in page
    assert '{"' not in page  # no raw JSON of the refund's lines
    assert "25.00 USD (25.00 USD)" not in page
    listing = client.get(RETURNS).content.decode()
    assert f"listing #{request.listing_id}" in listing
    client.cookies["django_language"] = "zh-hans"
    breaches = client.get("/admin/returns/returnratebreach/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert breaches.status_code == 200
    chinese = breaches.content.decode()
    assert "进行中或已结束" in chinese
    assert "以 打开" not in chinese
