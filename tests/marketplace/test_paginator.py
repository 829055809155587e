"""The keys-first paginator gives the same pages as Django's, in the same order."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator

from marketplace.paginator import KeysFirstPaginator
from suppliers.models import Supplier
from tests.factories.suppliers import SupplierFactory

pytestmark = pytest.mark.django_db


def test_pages_match_djangos_paginator(django_assert_num_queries):
    SupplierFactory.create_batch(23)
    queryset = Supplier.objects.order_by("-name_en", "pk")
    plain, keys_first = Paginator(queryset, 5), KeysFirstPaginator(queryset, 5)
    assert keys_first.num_pages == plain.num_pages == 5
    for number in range(1, 6):
        assert list(keys_first.page(number)) == list(plain.page(number))
    with django_assert_num_queries(2):  # the keys, then the page's rows (the count is cached)
        keys_first.page(4)
