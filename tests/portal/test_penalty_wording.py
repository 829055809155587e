# ruff: noqa: RUF001 - Chinese text uses full-width punctuation
"""Penalties read right for the case, in both languages, wherever they appear: the tier by its
name, and what happened to this order (shipped late, or not shipped at all; a stockout declared,
or counted after 72 h unshipped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from orders.models import JitOrder, Penalty
from orders.services.orders import (
    appeal_decide,
    order_declare_stockout,
    order_inspect,
    order_receive,
    order_ship,
    penalty_appeal,
)
from orders.services.sweep import sweep_jit_deadlines
from portal.wording import penalty_case, tier_name
from tests.factories.orders import jit_listing, jit_order
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def listing():
    return jit_listing()


@pytest.fixture
def member(listing):
    return MembershipFactory(supplier=listing.supplier, role="owner").user


def cases(order: JitOrder) -> dict[str, str]:
    return {p.tier: penalty_case(p) for p in Penalty.objects.filter(order=order)}


def test_unshipped_orders_read_not_shipped_and_72_hours_is_a_stockout(listing):
    order = jit_order(listing, ordered_at=NOW - 73 * H)
    with time_machine.travel(NOW, tick=False):
        sweep_jit_deadlines()
    assert cases(order) == {
        "late_24h": "Not shipped within 24 h of the order",
        "late_48h": "Not shipped within 48 h of the order",
        "stockout": "Not shipped within 72 h of the order: a stockout",
    }
    with translation.override("zh-hans"):
        assert cases(order) == {
            "late_24h": "下单后 24 小时内未发货",
            "late_48h": "下单后 48 小时内未发货",
            "stockout": "下单后 72 小时内仍未发货，按缺货处理",
        }
        assert tier_name("late_24h") == "超时（24 小时）"
        assert tier_name("late_48h") == "严重超时（48 小时）"


def test_orders_shipped_late_read_shipped_more_than(listing, member):
    order = jit_order(listing, ordered_at=NOW - 50 * H)
    with time_machine.travel(NOW - H, tick=False):
        order_ship(order, waybill="SF123456789012", actor=member)
    with time_machine.travel(NOW, tick=False):
        sweep_jit_deadlines()
    assert cases(order) == {
        "late_24h": "Shipped more than 24 h after the order",
        "late_48h": "Shipped more than 48 h after the order",
    }
    with translation.override("zh-hans"):
        assert cases(order)["late_24h"] == "下单后超过 24 小时才发货"


def test_a_declared_stockout_and_a_quality_rejection(listing, member, operator):
    declared = jit_order(listing, ordered_at=NOW - 2 * H)
    rejected = jit_order(listing, ordered_at=NOW - 10 * H)
    with time_machine.travel(NOW - H, tick=False):
        order_declare_stockout(declared, reason="Mould broke", actor=member)
        order_ship(rejected, waybill="SF123456789013", actor=member)
        order_receive(rejected, quantity=rejected.quantity, actor=operator)
        order_inspect(rejected, accept=False, defect_notes="Seams split", actor=operator)
    with time_machine.travel(NOW, tick=False):
        sweep_jit_deadlines()
    assert cases(declared) == {"stockout": "Stockout declared by you"}
    assert cases(rejected) == {"quality": "Rejected at inspection for quality"}
    assert [tier_name(t) for t in ("quality", "stockout")] == ["Quality rejection", "Stockout"]


def test_every_page_showing_a_penalty_words_it_the_same(client, listing, member, operator):
    order = jit_order(listing, ordered_at=NOW - 25 * H)
    with time_machine.travel(NOW, tick=False):
        sweep_jit_deadlines()
    penalty = Penalty.objects.get(order=order)
    client.force_login(member)
    pages = {
        "penalties": reverse("portal:penalties"),
        "penalty": reverse("portal:penalty_detail", args=[penalty.pk]),
        "order": reverse("portal:order_detail", args=[order.pk]),
        "ledger": reverse("portal:ledger"),
        "notifications": reverse("portal:notifications"),
    }
    for language, tier, case in [
        ("en", "Late (24 h)", "Not shipped within 24 h of the order"),
        ("zh-hans", "超时（24 小时）", "下单后 24 小时内未发货"),
    ]:
        client.cookies["django_language"] = language
        for name, url in pages.items():
            page = client.get(url).content.decode()
            assert tier in page, (language, name)
            assert case in page, (language, name)
            assert "late_24h" not in page, (language, name)
            assert "JIT penalty:" not in page, (language, name)
    # Waived on appeal: the reversal says what it gives back and why.
    with time_machine.travel(NOW + H, tick=False):
        appeal = penalty_appeal(penalty, reason="Picked up on time", actor=member)
        appeal_decide(appeal, waive=True, reason="Carrier confirmed the pickup", actor=operator)
    client.cookies["django_language"] = "en"
    ledger = client.get(pages["ledger"]).content.decode()
    assert (
        f"Penalty Late (24 h) on order #{order.pk} given back: waived on appeal: "
        "Carrier confirmed the pickup"
    ) in ledger
