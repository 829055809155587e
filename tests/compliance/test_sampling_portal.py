"""The supplier's test purchases page: its own requests from the pull on, with their results;
never another supplier's, never a planned one, never the draw's weights."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.models import Listing
from compliance.models import SamplingRequest
from compliance.selectors.sampling import sampling_requests_visible_to
from compliance.services.sampling import sampling_result_recorded, sampling_send_to_lab
from logistics.services.test_purchases import sampling_units_pull
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.compliance import LabFactory, TestRecordFactory
from tests.factories.logistics import operator
from tests.isolation import RIVAL_ROLES, leaked, rival_member

pytestmark = pytest.mark.django_db
URL = "/portal/compliance/sampling/"
RS = SamplingRequest.Status


def sample_of(supplier, title: str, *, pull: bool = True) -> SamplingRequest:
    listing = ListingFactory(
        supplier=supplier,
        product=ProductFactory(title_en=title),
        mode=Listing.Mode.SEMI_MANAGED,
        status=Listing.Status.LIVE,
    )
    request = SamplingRequest.objects.create(
        listing=listing,
        supplier=supplier,
        weight=Decimal("17.123456"),
        factors={"risk": "high", "score": "31.00"},
        cost_cny=Decimal("4321.00"),
    )
    if pull:
        sampling_units_pull(
            request,
            actor=operator(),
            purchase_reference=f"PO-{title}",
            purchase_amount_cny=Decimal("12"),
        )
    return request


def test_the_supplier_sees_its_pulled_requests_and_their_results(client, supplier_user):
    supplier = supplier_user.supplier_membership.supplier
    sample = sample_of(supplier, "Wooden train")
    lab = LabFactory(name="Shenzhen Test Lab")
    sampling_send_to_lab(sample, lab=lab, actor=operator())
    record = TestRecordFactory(
        product=sample.listing.product,
        supplier=supplier,
        lab=lab,
        sampling_request=sample,
        report_number="SZ-2026-0042",
        result="fail",
    )
    sampling_result_recorded(sample, record, actor=None)
    sample_of(supplier, "Hidden kite", pull=False)  # planned: not announced

    client.force_login(supplier_user)
    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Wooden train" in page
    assert "Shenzhen Test Lab" in page
    assert "SZ-2026-0042" in page
    assert "Hidden kite" not in page
    # The draw's weights and costs are the marketplace's.
    assert "17.123456" not in page
    assert "4321" not in page


def test_the_selector_hides_planned_and_cancelled_requests_from_the_supplier(supplier_user):
    supplier = supplier_user.supplier_membership.supplier
    shown = sample_of(supplier, "Shown")
    sample_of(supplier, "Planned", pull=False)
    assert list(sampling_requests_visible_to(supplier_user)) == [shown]


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_supplier_sees_none_of_it(client, supplier_user, role):
    supplier = supplier_user.supplier_membership.supplier
    sample_of(supplier, "Secret blocks")
    rival = rival_member(role)
    client.force_login(rival)
    response = client.get(URL)
    assert response.status_code == 200
    assert leaked(response, ["Secret blocks", "PO-Secret"]) == []


def test_staff_are_not_let_into_the_portal_page(client, operator):
    client.force_login(operator)
    assert client.get(URL).status_code == 403


def test_the_page_keeps_a_constant_number_of_queries(
    client, supplier_user, django_assert_max_num_queries
):
    supplier = supplier_user.supplier_membership.supplier
    sample_of(supplier, "One")
    client.force_login(supplier_user)
    with django_assert_max_num_queries(12) as few:
        client.get(URL)
    for n in range(6):
        sample_of(supplier, f"More {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL).status_code == 200
