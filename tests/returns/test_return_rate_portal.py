"""The portal's "Return rates" tab: each listing's 30-day figure against the thresholds with its
trend, the open breaches, a breach's page and the appeal of its fine; in English and Chinese,
and never another supplier's."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.models import ListingReturnRate
from returns.models import ReturnRateBreach
from returns.services.return_rate import return_rates_compute
from tests.factories.catalogue import ProductFactory
from tests.factories.suppliers import MembershipFactory
from tests.isolation import RIVAL_ROLES, assert_ids_are_404, leaked, rival_member

from .rates import rated_listing, sold_and_returned

pytestmark = pytest.mark.django_db

SECRETS = ["Secret Leaky Kettle", "秘密漏水壶", "secret appeal grounds"]


def _owner(listing):
    return MembershipFactory(supplier=listing.supplier, role="owner").user


@pytest.fixture
def breached():
    listing = rated_listing()
    listing.product = ProductFactory(title_en="Secret Leaky Kettle", title_zh="秘密漏水壶")
    listing.save(update_fields=["product"])
    for days_ago in (3, 2, 1):
        ListingReturnRate.objects.create(
            listing=listing,
            day=timezone.localdate() - timedelta(days=days_ago),
            units_sold=30,
            units_returned=days_ago,
            rate=(Decimal(days_ago) / 30).quantize(Decimal("0.0001")),
        )
    sold_and_returned(listing, 30, 6)
    return_rates_compute()
    return listing


def test_the_tab_shows_each_listing_against_the_thresholds_with_its_trend(client, breached):
    client.force_login(_owner(breached))
    response = client.get(reverse("portal:return_rates"))
    assert response.status_code == 200
    text = response.content.decode()
    line = response.context["lines"][0]
    assert (line.latest.units_sold, line.latest.units_returned) == (30, 6)
    assert line.standing == "pause"
    assert line.trend_points.count(",") == 4  # three earlier days and today
    assert "20.0%" in text
    assert "Over 15.0%: paused and fined" in text
    assert 'data-testid="rate-bar"' in text
    assert 'data-testid="trend"' in text
    open_ids = [b.pk for b in response.context["open_breaches"]]
    assert sorted(open_ids) == sorted(ReturnRateBreach.objects.values_list("pk", flat=True))
    assert "Return rates" in text
    assert 'aria-current="page"' in text


def test_the_tab_reads_in_chinese(client, breached):
    client.force_login(_owner(breached))
    client.cookies["django_language"] = "zh-hans"
    text = client.get(reverse("portal:return_rates")).content.decode()
    assert "退货率" in text
    assert "秘密漏水壶" in text


def test_few_units_are_not_judged(client):
    listing = rated_listing()
    sold_and_returned(listing, 5, 3)
    return_rates_compute()
    client.force_login(_owner(listing))
    response = client.get(reverse("portal:return_rates"))
    assert response.context["lines"][0].standing == "few"
    assert response.context["open_breaches"] == []


def test_the_supplier_appeals_a_fine_on_the_breachs_page(client, breached):
    owner = _owner(breached)
    pause = ReturnRateBreach.objects.get(level="pause")
    client.force_login(owner)
    url = reverse("portal:return_rate_breach", args=[pause.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="appeal-form"' in page.content.decode()
    assert "Return-rate fine" in page.content.decode()

    response = client.post(url, {"text": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]

    response = client.post(url, {"text": "The courier crushed them."})
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.appeal == ReturnRateBreach.Appeal.PENDING
    page = client.get(url).content.decode()
    assert "The courier crushed them." in page
    assert 'data-testid="appeal-form"' not in page


def test_a_warning_has_no_appeal_form_and_a_late_appeal_says_the_window_closed(client, breached):
    client.force_login(_owner(breached))
    warning = ReturnRateBreach.objects.get(level="warning")
    page = client.get(reverse("portal:return_rate_breach", args=[warning.pk])).content.decode()
    assert 'data-testid="appeal-form"' not in page
    pause = ReturnRateBreach.objects.get(level="pause")
    ReturnRateBreach.objects.filter(pk=pause.pk).update(
        detected_at=timezone.now() - timedelta(days=8)
    )
    url = reverse("portal:return_rate_breach", args=[pause.pk])
    assert 'data-testid="appeal-closed"' in client.get(url).content.decode()
    client.post(url, {"text": "late"})
    pause.refresh_from_db()
    assert pause.appeal == ""


def test_the_page_costs_the_same_queries_for_many_listings(client, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count(n: int) -> int:
        listings = [rated_listing() for _ in range(n)]
        supplier = listings[0].supplier
        for listing in listings:
            listing.supplier = supplier
            listing.save(update_fields=["supplier"])
            sold_and_returned(listing, 30, 4)
        return_rates_compute()
        client.force_login(_owner(listings[0]))
        client.get(reverse("portal:return_rates"))  # warm caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("portal:return_rates")).status_code == 200
        ListingReturnRate.objects.all().delete()
        return len(captured.captured_queries)

    assert count(2) == count(10)


@pytest.mark.parametrize("role", RIVAL_ROLES)
def test_another_suppliers_people_see_none_of_it(client, breached, role):
    pause = ReturnRateBreach.objects.get(level="pause")
    client.force_login(rival_member(role))
    response = client.get(reverse("portal:return_rates"))
    assert response.status_code == 200
    assert leaked(response, SECRETS) == []
    assert response.context["lines"] == []

    def state():
        return list(ReturnRateBreach.objects.order_by("pk").values_list("pk", "appeal"))

    url = reverse("portal:return_rate_breach", args=[pause.pk])
    assert_ids_are_404(
        client,
        [("get", url, {}), ("post", url, {"text": "secret appeal grounds"})],
        state=state,
        secrets=SECRETS,
    )


def test_staff_and_anonymous_cannot_enter(client, breached, operator):
    assert client.get(reverse("portal:return_rates")).status_code == 302
    client.force_login(operator)
    assert client.get(reverse("portal:return_rates")).status_code == 403


def test_the_supplier_is_told_in_its_notifications(client, breached):
    client.force_login(_owner(breached))
    lines = client.get(reverse("portal:notifications")).context["lines"]
    texts = {line.event.kind: line.text for line in lines}
    assert "Return-rate warning for" in texts["return_rate.warning"]
    assert "is paused for review" in texts["return_rate.paused"]
    assert "120.00 CNY" in texts["return_rate.paused"]
    assert "paused for review: too many units" in texts["listing.status_changed"]
    assert "no stock" not in texts["listing.status_changed"]
    links = {line.event.kind: line.url for line in lines}
    assert links["return_rate.paused"] == reverse("portal:return_rates")
