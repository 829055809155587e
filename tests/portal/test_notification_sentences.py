"""Every kind of event a supplier can receive reads as a sentence in the reader's language, with
times in China time and their zone: never the event's code, never an ISO timestamp."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from catalogue.models import TENDER_MACHINE
from marketplace.event_kinds import EVENT_KINDS
from marketplace.models import Event
from portal.notifications.describe import DESCRIBE, NOT_FOR_SUPPLIERS, describe
from portal.notifications.views import PAGE_SIZE
from shipping.models import AIR_FREIGHT_BATCH_MACHINE
from tests.factories.suppliers import MembershipFactory, funded_supplier

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
CJK = re.compile(r"[\u4e00-\u9fff]")
AT = "2026-03-10T02:00:00+00:00"  # 10:00 in China

REMINDER = {"order": 5, "reminder": "second", "deadline": AT}


def recorded_kinds() -> set[str]:
    """Every kind the code records: marketplace/event_kinds.py, which
    tests/marketplace/test_event_kinds.py holds equal to the code's calls."""
    return set(EVENT_KINDS)


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
            payload=dict(EVENT_KINDS[kind].payload),
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
    # Every page: the kinds outnumber one page (PAGE_SIZE) of the list.
    for page in range(2, len(DESCRIBE) // PAGE_SIZE + 2):
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
        reminder = Event(kind="order.shipping_reminder", payload=REMINDER)
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
    # A tender's closing is its machine's move (catalogue.models), which names no supplier.
    closing = {TENDER_MACHINE.event_kind(target) for _current, target in TENDER_MACHINE.pairs()}
    assert TENDER_MACHINE.supplier is None
    # An air freight batch's moves (shipping.models) name no supplier either.
    batches = {
        AIR_FREIGHT_BATCH_MACHINE.event_kind(target)
        for _current, target in AIR_FREIGHT_BATCH_MACHINE.pairs()
    }
    assert AIR_FREIGHT_BATCH_MACHINE.supplier is None
    assert {kind for kind, _rest in calls} | closing | batches == NOT_FOR_SUPPLIERS
    for kind, rest in calls:
        assert "supplier" not in rest, (kind, rest)


@pytest.mark.parametrize(("units", "words"), [(1, "1 unit of"), (3, "3 units of")])
def test_a_return_counts_its_units_in_words(units, words):
    payload = {"units": units, "parcel": 7}
    with translation.override("en"):
        asked = describe(Event(kind="return.requested", subject_id=4, payload=payload))
        kept = describe(
            Event(kind="return.requested", subject_id=4, payload={**payload, "refund_only": True})
        )
    assert f"return {words} parcel #7" in asked
    assert f"returned {words} parcel #7" in kept


@pytest.mark.parametrize(
    ("language", "market"), [("en", "Canada"), ("zh-hans", "加拿大")], ids=["en", "zh"]
)
def test_a_parcel_names_its_market_in_the_readers_language(language, market):
    with translation.override(language):
        texts = [
            describe(Event(kind=kind, subject_id=3, payload={"market": "CA", "mode": mode}))
            for kind, mode in (
                ("parcel.created", "platform"),
                ("parcel.created", "seller"),
                ("parcel.held", "platform"),
            )
        ]
    for text in texts:
        assert market in text, text
        assert not re.search(r"\bCA\b", text), text
        if language == "zh-hans":
            assert f" {market}" not in text, text
            assert f"{market} " not in text, text


def test_a_delivery_in_chinese_has_no_stray_space_before_china_time():
    with translation.override("zh-hans"):
        text = describe(
            Event(
                kind="parcel.delivered",
                subject_id=3,
                payload={"tracking_number": "DEMO1", "at": AT},
            )
        )
    assert "已于北京时间 2026-03-10 10:00 妥投" in text, text
