"""The operator dashboard's parcels: the late queue (count, oldest, the link to the admin list
filtered late) and the days from pickup to delivery per market over the last 30 days (p50, p90,
a histogram by day with the 7-12-day target band), with a constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from backoffice.delivery import BINS, delivery_times
from shipping.models import Parcel
from shipping.services.late import parcels_flag_late
from tests.factories.shipping import consumer_order, delivered_parcel, parcel

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def figure(page: str, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', page)
    assert match, name
    return match.group(1)


def _delivered(market: str, days: float, *, ago: float = 1) -> Parcel:
    at = timezone.now() - ago * DAY
    made = delivered_parcel(consumer_order(market=market), delivered_at=at)
    Parcel.objects.filter(pk=made.pk).update(picked_up_at=at - days * DAY)
    return made


def test_the_delivery_times_per_market_are_the_parcels_percentiles_and_bins():
    for days in (5, 6, 8, 9, 10, 11, 13, 30):
        _delivered("US", days)
    _delivered("EU", 7.5)
    _delivered("US", 2, ago=31)  # delivered before the window: not counted
    parcel(consumer_order(market="UK"), status="picked_up", picked_up_at=timezone.now() - DAY)
    times = {row.market: row for row in delivery_times()}
    assert list(times) == ["US", "EU"]
    us = times["US"]
    # percentile_cont over 5, 6, 8, 9, 10, 11, 13, 30: the middle two, and 0.9 of the way.
    assert (us.delivered, us.p50, us.p90, us.within_target) == (8, 9.5, 18.1, 6)
    assert us.within_percent == 75
    counts = [int(bar.title.split(": ")[1].split()[0]) for bar in us.bars]
    assert len(counts) == BINS
    assert counts[5] == counts[6] == counts[8] == counts[13] == 1
    assert counts[BINS - 1] == 1  # 30 days: in the last bin, "20+ days"
    assert sum(counts) == 8
    assert [bar.tone for bar in us.bars][11:14] == ["ok", "empty", "bad"]
    assert us.bars[8].tone == "ok"
    assert (times["EU"].p50, times["EU"].p90) == (7.5, 7.5)


def test_the_dashboard_shows_the_late_queue_and_the_charts(client, operator):
    now = timezone.now()
    stuck = parcel(status="arrived_destination", picked_up_at=now - 15 * DAY)
    parcel(status="picked_up", picked_up_at=now - 3 * DAY)
    parcels_flag_late(now=now)
    _delivered("US", 8)
    _delivered("JP", 14)
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    card = page[page.index('data-testid="parcel-figures"') :]
    assert figure(card, "parcels-late") == "1"
    assert re.search(r'href="[^"]*\?late=yes" data-testid="late-parcels-link"', card)
    assert stuck.tracking_number in card
    assert figure(card, "p50-US") == "8.0"
    assert figure(card, "p90-JP") == "14.0"
    for market in ("US", "JP"):
        chart = re.search(rf'<svg[^>]*data-testid="delivery-chart-{market}".*?</svg>', card, re.S)
        assert chart, market
        assert len(re.findall(r'<rect class="bar ', chart.group(0))) == BINS
        assert '<rect class="band"' in chart.group(0)
    assert 'data-testid="delivery-chart-EU"' not in card
    # Inline styles only with the page's nonce, as the JIT charts: no CDN, no script.
    assert "<script" not in card[: card.index("</section>")]


def test_the_dashboard_says_when_nothing_is_late_or_delivered(client, operator):
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert figure(page, "parcels-late") == "0"
    assert "No parcel is late." in page
    assert "No parcel was delivered in this window." in page


def test_the_parcels_card_keeps_a_constant_number_of_queries(
    client, operator, django_assert_max_num_queries
):
    now = timezone.now()
    parcel(status="picked_up", picked_up_at=now - 13 * DAY)
    _delivered("US", 9)
    parcels_flag_late(now=now)
    client.force_login(operator)
    with django_assert_max_num_queries(60) as few:
        assert client.get("/admin/").status_code == 200
    for market in ("US", "EU", "UK", "CA", "AU", "JP"):
        for days in (4, 9, 12.5, 25):
            _delivered(market, days)
        parcel(consumer_order(market=market), status="exception", picked_up_at=now - 20 * DAY)
    parcels_flag_late(now=now)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/admin/").content.decode()
    assert figure(page, "parcels-late") == "7"
