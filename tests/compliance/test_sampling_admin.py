"""The sampling screens: a draw's candidates with their weights and why, the requests' moves
(pull units, send to a lab, cancel) through the services, and "draw now" as a tracked job."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalogue.models import Category, Listing
from compliance.models import SamplingDraw, SamplingRequest
from logistics.models import StockMovement
from logistics.services.test_purchases import sampling_draw
from marketplace.models import JobRun
from tests.factories.catalogue import CategoryFactory
from tests.factories.compliance import LabFactory
from tests.factories.logistics import stocked_listing

from .sampling_helpers import category_with_lab_test, live_listing

pytestmark = pytest.mark.django_db
A = "/admin/compliance"
RS = SamplingRequest.Status


@pytest.fixture
def draw(settings):
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("1000.00")
    from datetime import date

    high, _ = category_with_lab_test(Category.Risk.HIGH, cost="1000.00")
    low, _ = category_with_lab_test(Category.Risk.LOW, cost="1000.00")
    for _ in range(2):
        live_listing(high)
        live_listing(low)
    return sampling_draw(on=date(2026, 12, 31), seed=99)


def test_the_draw_page_shows_every_candidate_heaviest_first_and_which_was_picked(
    client, compliance_officer, draw
):
    client.force_login(compliance_officer)
    page = client.get(f"{A}/samplingdraw/{draw.pk}/change/").content.decode()
    table = page[page.index('data-testid="candidates"') :]
    order = [int(pk) for pk in _listing_ids(table)]
    weights = [Decimal(draw.weights[str(pk)]["weight"]) for pk in order]
    assert weights == sorted(weights, reverse=True)
    assert set(order) == {int(pk) for pk in draw.weights}
    assert "category risk high x3" in table
    assert "since last pass never x2" in table
    assert table.count("passed over: over the day&#x27;s budget") == 3
    [picked] = draw.requests.all()
    assert f'data-listing="{picked.listing_id}"' in table
    listing_page = client.get(f"{A}/samplingdraw/")
    assert listing_page.status_code == 200
    assert 'data-testid="draw-now"' in listing_page.content.decode()


def _listing_ids(html: str) -> list[str]:
    import re

    return re.findall(r'data-listing="(\d+)"', html)


def test_the_request_page_shows_the_weight_why_and_the_pull_form(client, compliance_officer, draw):
    [request] = draw.requests.all()
    client.force_login(compliance_officer)
    page = client.get(f"{A}/samplingrequest/{request.pk}/change/").content.decode()
    assert "category risk" in page
    assert 'data-testid="pull-form"' in page
    assert 'data-testid="send-to-lab-form"' not in page
    assert client.get(f"{A}/samplingrequest/").status_code == 200


def test_an_officer_pulls_units_from_stock_then_sends_them_to_a_lab(client, compliance_officer):
    listing = stocked_listing(3)
    request = SamplingRequest.objects.create(
        listing=listing, supplier=listing.supplier, weight=2, cost_cny=500
    )
    client.force_login(compliance_officer)

    assert client.post(f"{A}/samplingrequest/{request.pk}/pull-units/", {}).status_code == 302

    request.refresh_from_db()
    assert request.status == RS.UNITS_PULLED
    assert request.stock_movement.kind == StockMovement.Kind.SAMPLE
    page = client.get(f"{A}/samplingrequest/{request.pk}/change/").content.decode()
    assert 'data-testid="send-to-lab-form"' in page
    lab = LabFactory()
    sent = client.post(
        f"{A}/samplingrequest/{request.pk}/send-to-lab/", {"lab": lab.pk, "sent_on": "2099-01-01"}
    )
    assert sent.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.lab) == (RS.SENT_TO_LAB, lab)


def test_a_semi_managed_pull_needs_the_purchase_on_the_form(client, compliance_officer):
    listing = live_listing(CategoryFactory(), mode=Listing.Mode.SEMI_MANAGED)
    request = SamplingRequest.objects.create(
        listing=listing, supplier=listing.supplier, weight=2, cost_cny=500
    )
    client.force_login(compliance_officer)
    url = f"{A}/samplingrequest/{request.pk}/pull-units/"
    assert client.post(url, {}).status_code == 200  # the form again, with its errors
    done = client.post(url, {"purchase_reference": "TB-778", "purchase_amount_cny": "59.90"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert (request.purchase_reference, request.purchase_amount_cny) == ("TB-778", Decimal("59.90"))


def test_cancelling_from_the_list_needs_a_reason(client, compliance_officer, draw):
    [request] = draw.requests.all()
    client.force_login(compliance_officer)
    url = f"{A}/samplingrequest/"
    form = {"action": "cancel", "_selected_action": [request.pk], "reason": ""}
    client.post(url, form)
    request.refresh_from_db()
    assert request.status == RS.PLANNED
    client.post(url, {**form, "reason": "Supplier leaving the platform"})
    request.refresh_from_db()
    assert request.status == RS.CANCELLED
    assert request.cancel_reason == "Supplier leaving the platform"


def test_draw_now_runs_the_job_and_shows_its_progress(
    client, compliance_officer, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from marketplace.celery import app

    app.conf.task_always_eager = True
    try:
        category, _ = category_with_lab_test()
        live_listing(category)
        client.force_login(compliance_officer)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"{A}/samplingdraw/draw-now/")
    finally:
        app.conf.task_always_eager = False
    assert response.status_code == 302
    assert "jobrun" in response["Location"]
    assert SamplingDraw.objects.count() == 1
    run = JobRun.objects.get(name="draw_test_purchases")
    assert run.status == JobRun.Status.SUCCEEDED
    assert client.get(response["Location"]).status_code == 200


def test_an_operator_reads_the_draws_but_moves_nothing(client, operator, draw):
    [request] = draw.requests.all()
    client.force_login(operator)
    assert client.get(f"{A}/samplingdraw/{draw.pk}/change/").status_code == 200
    page = client.get(f"{A}/samplingrequest/{request.pk}/change/").content.decode()
    assert 'data-testid="pull-form"' not in page
    assert client.post(f"{A}/samplingrequest/{request.pk}/pull-units/", {}).status_code == 403
    assert client.post(f"{A}/samplingdraw/draw-now/").status_code == 403
    request.refresh_from_db()
    assert request.status == RS.PLANNED


def test_the_request_list_keeps_a_constant_number_of_queries(
    client, compliance_officer, draw, django_assert_max_num_queries, settings
):
    client.force_login(compliance_officer)
    with django_assert_max_num_queries(12):
        assert client.get(f"{A}/samplingrequest/").status_code == 200
    settings.SAMPLING_MONTHLY_BUDGET_CNY = Decimal("100000.00")
    from datetime import date

    sampling_draw(on=date(2027, 1, 31), seed=1)
    assert SamplingRequest.objects.count() > 3
    with django_assert_max_num_queries(12):
        assert client.get(f"{A}/samplingrequest/").status_code == 200
