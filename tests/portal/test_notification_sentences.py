"""Every kind of event a supplier can receive reads as a sentence in the reader's language, with
times in China time and their zone: never the event's code, never an ISO timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from logistics.models import InboundShipment, Inspection, OverstockOffer, StockingOrder
from marketplace.events import EVENT_KINDS
from marketplace.models import Event
from orders.models import Appeal, JitOrder
from portal.notifications import DESCRIBE, NOT_FOR_SUPPLIERS, describe
from tests.factories.suppliers import MembershipFactory, funded_supplier

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
CJK = re.compile(r"[\u4e00-\u9fff]")
AT = "2026-03-10T02:00:00+00:00"  # 10:00 in China

# A payload as each kind's recording code writes it.
PAYLOADS: dict[str, dict[str, object]] = {
    "supplier.status_changed": {"from": "active", "to": "suspended"},
    "supplier.jit_paused": {"balance": "4900.00"},
    "supplier.jit_resumed": {"balance": "5100.00"},
    "supplier.withdrawal_requested": {"amount": "20.00"},
    "supplier.withdrawal_approved": {"amount": "20.00"},
    "supplier.member_invited": {"email": "friend@factory.example"},
    "supplier.member_joined": {"username": "clerk"},
    "supplier.member_removed": {"username": "clerk"},
    "supplier.owner_changed": {"from": "owner", "to": "heir"},
    "product.created": {"title_en": "Plush panda", "category": "toys", "hs_code": "950300"},
    "product.updated": {"changed": ["title_en"]},
    "listing.created": {"mode": "fully_managed", "is_jit": True},
    "listing.status_changed": {"from": "draft", "to": "submitted"},
    "listing.price_proposed": {"listing": 7, "round": 1, "price": "12.50"},
    "listing.price_countered": {"listing": 7, "round": 1, "price": "11.00"},
    "listing.price_rejected": {"listing": 7, "round": 1},
    "listing.price_withdrawn": {"listing": 7, "round": 1},
    "listing.price_agreed": {"listing": 7, "round": 1, "price": "11.00"},
    "listing.retail_price_set": {"market": "US", "amount": "9.99", "currency": "USD"},
    "tender.awarded": {"tender": 3, "listing": 7},
    "tender.lost": {"tender": 3},
    "order.created": {"quantity": 2, "goods_value": "40.00", "deadline": AT},
    "order.scanned": {"first_scan_at": AT},
    "order.shipping_reminder": {"order": 5, "reminder": "second", "deadline": AT},
    "order.penalty_assessed": {"order": 5, "tier": "late_24h", "amount": "40.00"},
    "order.penalty_waived": {"amount": "40.00"},
    "stocking.issued": {"listing": 7, "quantity": 30, "warehouse": "gz-hub", "expires_at": AT},
    "inbound.created": {"stocking_order": 4, "pickup": False},
    "inbound.pickup_scheduled": {"date": "2026-03-12", "window": "09:00-12:00"},
    "inbound.counted": {"line": 1, "declared": 30, "received": 29, "damaged": 1},
    "inspection.accepted": {"sample_size": 8, "defects": 0},
    "inspection.rejected": {"sample_size": 8, "defects": 3},
    "inspection.severity_changed": {"product": 1, "from": "normal", "to": "tightened"},
    "consumer_order.reserved": {"listing": 7, "quantity": 2, "warehouse": 1},
    "consumer_order.fulfilled": {"payable": "25.00", "quantity": 2},
    "overstock.offered": {"listing": 7, "quantity": 24, "received_at": AT},
    "overstock.returned": {"quantity": 24},
    "overstock.left_for_markdown": {"quantity": 24},
    "overstock.marked_down": {"quantity": 24},
    "ledger.posted": {"kind": "top_up", "amount": "100.00", "balance": "5100.00"},
}


def recorded_kinds() -> set[str]:
    """Every kind the code records: the literal ones found in the source, and those made from a
    state (`f"order.{target}"`), one per state of each machine."""
    kinds = set(EVENT_KINDS)
    for folder in ("accounts", "catalogue", "logistics", "marketplace", "orders", "suppliers"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            kinds |= set(re.findall(r'(?:record_event|NewEvent)\(\s*"([a-z_]+\.[a-z_]+)"', text))
            kinds |= set(re.findall(r'EVENT = "([a-z_]+\.[a-z_]+)"', text))
    kinds |= {f"order.{s}" for s in JitOrder.Status.values if s != "awaiting_shipment"}
    kinds |= {f"order.penalty_{d}" for d in Appeal.Decision.values}
    kinds |= {f"stocking.{s}" for s in StockingOrder.Status.values}
    kinds |= {f"inbound.{s}" for s in InboundShipment.Status.values if s != "draft"}
    kinds |= {f"inspection.{r}" for r in Inspection.Result.values}
    kinds |= {f"overstock.{s}" for s in OverstockOffer.Status.values}
    return kinds


def test_every_kind_a_supplier_receives_has_a_sentence():
    kinds = recorded_kinds()
    missing = kinds - set(DESCRIBE) - NOT_FOR_SUPPLIERS
    assert not missing, f"no sentence for {sorted(missing)}"
    assert set(DESCRIBE) <= kinds, set(DESCRIBE) - kinds  # no sentence for a kind never sent


def _events(supplier) -> list[Event]:
    return Event.objects.bulk_create(
        Event(
            kind=kind,
            supplier=supplier,
            occurred_at=datetime(2026, 3, 10, 2, 0, tzinfo=UTC),
            payload=PAYLOADS.get(kind, {}),
        )
        for kind in DESCRIBE
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_sentence_is_words_with_china_time_in_both_languages(client, language):
    supplier = funded_supplier("0")
    owner = MembershipFactory(supplier=supplier, role="owner")
    _events(supplier)
    client.force_login(owner.user)
    client.cookies["django_language"] = language
    response = client.get(reverse("portal:notifications"), {"page": 1})
    lines = response.context["lines"]
    for page in (2,):
        lines += client.get(reverse("portal:notifications"), {"page": page}).context["lines"]
    assert {line.event.kind for line in lines} >= set(DESCRIBE)
    for line in lines:
        kind = line.event.kind
        assert kind not in line.text, (kind, line.text)
        assert not ISO.search(line.text), (kind, line.text)
        assert "%(" not in line.text, (kind, line.text)
        if language == "zh-hans":
            assert CJK.search(line.text), f"{kind} is not translated: {line.text}"
            assert line.when == "北京时间 2026-03-10 10:00"
        else:
            assert line.when == "2026-03-10 10:00 China time"
    with translation.override(language):
        reminder = Event(
            kind="order.shipping_reminder", payload=PAYLOADS["order.shipping_reminder"]
        )
        text = describe(reminder)
    assert (
        "北京时间 2026-03-10 10:00" if language == "zh-hans" else "2026-03-10 10:00 China time"
    ) in text


def test_kinds_for_the_marketplace_alone_name_no_supplier():
    calls = []
    for path in (ROOT / "catalogue").rglob("*.py"):
        text = path.read_text()
        calls += re.findall(
            r'(?:record_event|NewEvent)\(\s*"(tender\.(?:opened|closed))"(.*?)\)\n', text, re.S
        )
    assert {kind for kind, _rest in calls} == NOT_FOR_SUPPLIERS
    for kind, rest in calls:
        assert "supplier" not in rest, (kind, rest)
