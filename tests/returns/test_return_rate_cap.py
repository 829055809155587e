"""The stocking cap reads the return-rate job's latest 30-day figure (ListingReturnRate), not a
cumulative rate: no row is no data, and the cap then depends on the first batch alone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalogue.models import ListingReturnRate
from logistics.services.inbound.stocking import listing_stocking_cap
from returns.services.return_rate import return_rates_compute
from tests.factories.logistics import stocked_listing

from .rates import sold_and_returned

pytestmark = pytest.mark.django_db


def rate_row(listing, days_ago: int, sold: int, returned: int) -> None:
    ListingReturnRate.objects.create(
        listing=listing,
        day=timezone.localdate() - timedelta(days=days_ago),
        units_sold=sold,
        units_returned=returned,
        rate=(Decimal(returned) / sold).quantize(Decimal("0.0001")) if sold else None,
    )


def test_no_row_is_no_data_the_first_batch_decides(settings):
    settings.STOCKING_CAP_UNITS = 30
    assert listing_stocking_cap(stocked_listing(new=True)) == 30
    assert listing_stocking_cap(stocked_listing()) is None


def test_the_latest_row_over_the_limit_keeps_the_cap(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing()
    rate_row(listing, 3, 40, 1)
    rate_row(listing, 0, 40, 4)  # 10%
    assert listing_stocking_cap(listing) == 30


def test_an_older_bad_figure_no_longer_counts(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing()
    rate_row(listing, 5, 40, 10)
    rate_row(listing, 0, 40, 2)  # 5% today
    assert listing_stocking_cap(listing) is None


def test_too_few_units_in_the_window_neither_keep_nor_lift_it(settings):
    settings.STOCKING_CAP_UNITS = 30
    assert_cap = listing_stocking_cap
    established = stocked_listing()
    rate_row(established, 0, 10, 5)
    assert assert_cap(established) is None
    new = stocked_listing(new=True)
    rate_row(new, 0, 10, 0)
    assert assert_cap(new) == 30


def test_the_job_figure_is_the_one_the_cap_reads(settings):
    settings.STOCKING_CAP_UNITS = 30
    listing = stocked_listing(5)
    sold_and_returned(listing, 40, 4)
    assert listing_stocking_cap(listing) is None  # nothing rated yet
    return_rates_compute()
    assert listing_stocking_cap(listing) == 30
