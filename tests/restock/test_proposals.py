"""Restock proposals' doors at the service level (SPEC, "Demand-driven restock"): confirm issues
the stocking order within the cap and the ship-date window; decline needs a reason; snooze pushes
the expiry; an operator issues directly; the hourly job expires what nobody answered. Each is
refused when the proposal is not open, and to anyone who is not the proposal's supplier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone, translation

from logistics.models import StockingOrder, Warehouse
from logistics.services.inbound.stocking import stocking_order_issue
from marketplace.errors import DomainError
from marketplace.formatting import suppliers_today
from marketplace.models import Event
from restock.models import RestockProposal
from restock.selectors.proposals import arithmetic_of, default_hub, method_label, room_under_cap
from restock.services import forecasting as fc
from restock.services.proposals import (
    expire_proposals,
    proposal_confirm,
    proposal_decline,
    proposal_issue,
    proposal_snooze,
    snooze_expiry,
)
from restock.tasks import expire_proposals_task
from tests.factories.accounts import UserFactory
from tests.factories.logistics import WarehouseFactory, operator

from .support import member, proposal, proposal_operator

pytestmark = pytest.mark.django_db

S = RestockProposal.Status


def _refused(error: pytest.ExceptionInfo[DomainError], code: str, field: str | None = None) -> None:
    assert error.value.code == code, error.value
    if field is not None:
        assert field in error.value.fields, error.value.fields


# --- Confirm -----------------------------------------------------------------------------------


def test_confirm_issues_the_stocking_order_and_keeps_the_ship_date():
    p = proposal(urgent=True, quantity=48)
    user = member(p)
    ship_by = suppliers_today() + timedelta(days=5)

    proposal_confirm(p, actor=user, quantity=36, ship_by=ship_by)

    p.refresh_from_db()
    assert p.status == S.CONFIRMED
    assert p.ship_by == ship_by
    assert p.decided_by == user
    assert p.decided_at is not None
    assert p.quantity == 48  # the proposal keeps what was proposed
    order = p.stocking_order
    assert order is not None
    assert (order.quantity, order.urgent, order.listing_id) == (36, True, p.listing_id)
    assert order.warehouse.code == "gz-hub"
    assert order.status == StockingOrder.Status.ISSUED
    event = Event.objects.get(kind="restock_proposal.confirmed")
    assert event.supplier_id == p.supplier_id
    assert event.payload == {
        "from": "open",
        "to": "confirmed",
        "listing": p.listing_id,
        "quantity": 36,
        "stocking_order": order.pk,
        "ship_by": ship_by.isoformat(),
    }
    assert Event.objects.filter(kind="stocking.issued").count() == 1


def test_confirm_goes_to_the_hub_the_listing_was_stocked_in():
    p = proposal()
    other = WarehouseFactory(code="sz-hub", name="Shenzhen hub", kind=Warehouse.Kind.HUB)
    stocking_order_issue(p.listing, quantity=5, warehouse=other, actor=operator())
    assert default_hub(p.listing) == other

    proposal_confirm(p, actor=member(p), quantity=12, ship_by=suppliers_today())

    assert p.stocking_order.warehouse == other


@pytest.mark.parametrize("quantity", [0, -3, "12", 2.5, None, True])
def test_confirm_refuses_a_quantity_that_is_not_a_positive_whole_number(quantity):
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_confirm(p, actor=member(p), quantity=quantity, ship_by=suppliers_today())
    _refused(error, "invalid_quantity", "quantity")
    assert not StockingOrder.objects.exists()


def test_confirm_refuses_more_than_the_cap_less_open_orders_and_writes_nothing():
    p = proposal(capped=True)  # a new listing: STOCKING_CAP_UNITS (30)
    stocking_order_issue(
        p.listing, quantity=10, warehouse=Warehouse.objects.get(code="gz-hub"), actor=operator()
    )
    assert room_under_cap(p.listing) == settings.STOCKING_CAP_UNITS - 10

    with pytest.raises(DomainError) as error:
        proposal_confirm(p, actor=member(p), quantity=21, ship_by=suppliers_today())

    _refused(error, "over_stocking_cap", "quantity")
    p.refresh_from_db()
    assert p.status == S.OPEN
    assert p.stocking_order is None
    assert StockingOrder.objects.count() == 1
    assert not Event.objects.filter(kind__startswith="restock_proposal.").exists()

    proposal_confirm(p, actor=member(p), quantity=20, ship_by=suppliers_today())
    assert p.status == S.CONFIRMED


@pytest.mark.parametrize(
    ("offset", "urgent"),
    [
        (-1, False),
        (settings.STOCKING_ORDER_DAYS + 1, False),
        (settings.STOCKING_ORDER_URGENT_DAYS + 1, True),
    ],
)
def test_confirm_refuses_a_ship_date_outside_the_stocking_orders_window(offset, urgent):
    p = proposal(urgent=urgent)
    with pytest.raises(DomainError) as error:
        proposal_confirm(
            p, actor=member(p), quantity=12, ship_by=suppliers_today() + timedelta(days=offset)
        )
    _refused(error, "invalid_ship_by", "ship_by")


def test_confirm_accepts_the_last_day_of_the_window():
    p = proposal()
    last = suppliers_today() + timedelta(days=settings.STOCKING_ORDER_DAYS)
    proposal_confirm(p, actor=member(p), quantity=12, ship_by=last)
    assert p.status == S.CONFIRMED


def test_confirm_refuses_a_ship_date_that_is_not_a_date():
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_confirm(p, actor=member(p), quantity=12, ship_by="2026-01-01")
    _refused(error, "invalid_ship_by", "ship_by")


def test_another_suppliers_user_or_an_operator_cannot_confirm():
    p = proposal()
    stranger = member(proposal())
    for actor in (stranger, operator()):
        with pytest.raises(DomainError) as error:
            proposal_confirm(p, actor=actor, quantity=12, ship_by=suppliers_today())
        _refused(error, "not_found")
    p.refresh_from_db()
    assert p.status == S.OPEN


def test_confirm_without_an_active_hub_is_refused():
    p = proposal()
    Warehouse.objects.update(is_active=False)
    with pytest.raises(DomainError) as error:
        proposal_confirm(p, actor=member(p), quantity=12, ship_by=suppliers_today())
    _refused(error, "no_hub")


@pytest.mark.parametrize("status", [S.CONFIRMED, S.ISSUED, S.DECLINED, S.EXPIRED, S.WITHDRAWN])
def test_nothing_but_an_open_proposal_is_answered(status):
    p = proposal(status=status)
    user = member(p)
    calls = [
        lambda: proposal_confirm(p, actor=user, quantity=12, ship_by=suppliers_today()),
        lambda: proposal_snooze(p, actor=user, days=3),
        lambda: proposal_issue(p, actor=operator()),
    ]
    if status != S.DECLINED:  # declining a declined proposal again changes nothing
        calls.append(lambda: proposal_decline(p, actor=user, reason="No capacity"))
    for call in calls:
        with pytest.raises(DomainError) as error:
            call()
        assert error.value.code in ("invalid_transition", "not_open"), error.value
    assert not StockingOrder.objects.exists()
    p.refresh_from_db()
    assert p.status == status


# --- Decline -----------------------------------------------------------------------------------


def test_decline_keeps_the_reason():
    p = proposal()
    user = member(p)
    proposal_decline(p, actor=user, reason="  The mould is being repaired.  ")
    p.refresh_from_db()
    assert p.status == S.DECLINED
    assert p.decline_reason == "The mould is being repaired."
    event = Event.objects.get(kind="restock_proposal.declined")
    assert event.reason == "The mould is being repaired."
    assert event.payload == {
        "from": "open",
        "to": "declined",
        "listing": p.listing_id,
        "quantity": 60,
    }


@pytest.mark.parametrize(
    ("reason", "code"),
    [("", "reason_required"), ("   ", "reason_required"), ("x" * 301, "reason_too_long")],
)
def test_decline_needs_a_reason(reason, code):
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_decline(p, actor=member(p), reason=reason)
    _refused(error, code, "reason")
    p.refresh_from_db()
    assert p.status == S.OPEN


def test_another_supplier_cannot_decline():
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_decline(p, actor=member(proposal()), reason="no")
    _refused(error, "not_found")


# --- Snooze ------------------------------------------------------------------------------------


def test_snooze_sets_the_day_and_pushes_the_expiry():
    p = proposal()
    now = timezone.now()
    proposal_snooze(p, actor=member(p), days=7, now=now)
    p.refresh_from_db()
    until = suppliers_today(now) + timedelta(days=7)
    assert p.snoozed_until == until
    assert p.expires_at == snooze_expiry(until)
    assert p.expires_at > now + timedelta(days=7 + settings.RESTOCK_PROPOSAL_DAYS - 1)
    assert p.status == S.OPEN
    event = Event.objects.get(kind="restock_proposal.snoozed")
    assert event.payload == {
        "listing": p.listing_id,
        "quantity": 60,
        "days": 7,
        "snoozed_until": until.isoformat(),
    }


def test_an_operator_may_snooze_too():
    p = proposal()
    proposal_snooze(p, actor=proposal_operator(), days=1)
    assert p.snoozed_until == suppliers_today() + timedelta(days=1)


@pytest.mark.parametrize("days", [0, 31, -1, "3", None, True])
def test_snooze_days_are_1_to_30(days):
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_snooze(p, actor=member(p), days=days)
    _refused(error, "invalid_days", "days")


def test_snooze_is_refused_to_strangers():
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_snooze(p, actor=member(proposal()), days=3)
    _refused(error, "not_found")
    with pytest.raises(DomainError) as error:
        proposal_snooze(p, actor=UserFactory(is_staff=True), days=3)
    _refused(error, "forbidden")


# --- Issue by an operator ---------------------------------------------------------------------


def test_an_operator_issues_the_proposed_quantity_by_default():
    p = proposal(urgent=True, quantity=48)
    actor = proposal_operator()
    proposal_issue(p, actor=actor)
    p.refresh_from_db()
    assert p.status == S.ISSUED
    assert p.decided_by == actor
    assert (p.stocking_order.quantity, p.stocking_order.urgent) == (48, True)
    assert Event.objects.get(kind="restock_proposal.issued").payload == {
        "from": "open",
        "to": "issued",
        "listing": p.listing_id,
        "quantity": 48,
        "stocking_order": p.stocking_order_id,
    }


def test_an_operator_may_change_the_quantity_and_the_hub():
    p = proposal()
    other = WarehouseFactory(code="sz-hub", name="Shenzhen hub", kind=Warehouse.Kind.HUB)
    proposal_issue(p, actor=proposal_operator(), quantity=24, warehouse=other)
    assert (p.stocking_order.quantity, p.stocking_order.warehouse) == (24, other)


def test_issue_refuses_a_warehouse_that_is_no_hub_and_the_cap():
    p = proposal(capped=True)
    centre = WarehouseFactory(code="us-rc", name="US returns", kind=Warehouse.Kind.RETURN_CENTRE)
    with pytest.raises(DomainError) as error:
        proposal_issue(p, actor=proposal_operator(), warehouse=centre)
    _refused(error, "invalid_warehouse", "warehouse")
    with pytest.raises(DomainError) as error:
        proposal_issue(p, actor=proposal_operator(), quantity=31)
    _refused(error, "over_stocking_cap", "quantity")
    p.refresh_from_db()
    assert p.status == S.OPEN
    assert not StockingOrder.objects.exists()


def test_only_operators_issue():
    p = proposal()
    with pytest.raises(DomainError) as error:
        proposal_issue(p, actor=member(p))
    _refused(error, "not_found")
    with pytest.raises(DomainError) as error:
        proposal_issue(p, actor=UserFactory(is_staff=True))
    _refused(error, "forbidden")


# --- Expiry ------------------------------------------------------------------------------------


def test_expiry_moves_open_unsnoozed_proposals_past_their_time():
    now = timezone.now()
    due = proposal(expires_at=now - timedelta(minutes=1))
    later = proposal(expires_at=now + timedelta(minutes=1))
    snoozed = proposal(expires_at=now - timedelta(minutes=1), snoozed_until=suppliers_today(now))
    snooze_over = proposal(
        expires_at=now - timedelta(minutes=1),
        snoozed_until=suppliers_today(now) - timedelta(days=1),
    )
    declined = proposal(status=S.DECLINED, expires_at=now - timedelta(days=1))

    assert expire_proposals(now) == 2

    statuses = dict(RestockProposal.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: S.EXPIRED,
        later.pk: S.OPEN,
        snoozed.pk: S.OPEN,
        snooze_over.pk: S.EXPIRED,
        declined.pk: S.DECLINED,
    }
    events = Event.objects.filter(kind="restock_proposal.expired").order_by("subject_id")
    assert [(e.subject_id, e.supplier_id) for e in events] == sorted(
        [(str(due.pk), due.supplier_id), (str(snooze_over.pk), snooze_over.supplier_id)]
    )
    assert events[0].payload["to"] == "expired"
    assert expire_proposals(now) == 0


def test_the_hourly_task_expires():
    proposal(expires_at=timezone.now() - timedelta(hours=1))
    assert expire_proposals_task() == "1 restock proposals expired"


def test_a_snoozed_proposal_expires_after_its_snooze_and_the_proposal_days():
    p = proposal()
    now = timezone.now()
    proposal_snooze(p, actor=member(p), days=2, now=now)
    assert expire_proposals(now + timedelta(days=2)) == 0
    assert expire_proposals(p.expires_at + timedelta(seconds=1)) == 1


# --- The arithmetic ----------------------------------------------------------------------------


def test_the_arithmetic_in_words():
    p = proposal(
        mean_daily="2.400",
        demand_over_lead="43.200",
        safety_stock="12.000",
        available=10,
        need="45.200",
        case_pack=12,
        cap=30,
        quantity=30,
    )
    p.refresh_from_db()
    words = arithmetic_of(p).sentence()
    assert words == (
        "Forecast: 2.4 units a day (Croston SBA) × 18 days (3 to confirm + 10 production + "  # noqa: RUF001
        "3 transit + 2 receiving) = 43.2; + safety stock 12 (95% service level, from the "
        "backtest's errors over the lead time); - available 10 - inbound 0 - open stocking "
        "orders 0 = need 45.2; rounded up to cases of 12 = 48; stocking cap 30 → 30"
    )


def test_the_arithmetic_shows_units_to_a_tenth_and_adds_up():
    """The stored terms carry three decimals; the page shows a tenth of a unit at most, and the
    need it shows is the sum of the figures it shows (144.2 + 96 - 6 = 234.2, not 234.26)."""
    p = proposal(
        mean_daily="8.013",
        demand_over_lead="144.234",
        safety_stock="96.021",
        open_orders=6,
        need="234.255",
        case_pack=1,
        quantity=235,
    )
    p.refresh_from_db()
    lines = arithmetic_of(p).lines()
    assert lines[0].endswith("= 144.2")
    assert lines[1].startswith("+ safety stock 96 (95% service level")
    assert lines[2].endswith("open stocking orders 6 = need 234.2")
    assert lines[3] == "rounded up = 235"
    assert arithmetic_of(p).sentence() == "; ".join(lines)
    assert arithmetic_of(p).level_percent == "95%"


@pytest.mark.parametrize(
    ("code", "en", "zh"),
    [
        ("SeasESOpt", "weekly seasonal exponential smoothing", "周季节性指数平滑"),
        ("SESOpt", "exponential smoothing", None),
        ("CrostonSBA", "Croston SBA", "Croston 间歇需求法（SBA 修正）"),  # noqa: RUF001
        ("ADIDA", "ADIDA (aggregate, forecast, spread back)", None),
        ("HistoricAverage", "historic average", None),
        ("unknown-code", "unknown-code", "unknown-code"),
    ],
)
def test_methods_are_named_in_words(code, en, zh):
    assert method_label(code) == en
    if zh is not None:
        with translation.override("zh-hans"):
            assert method_label(code) == zh


def test_every_forecasting_method_has_words():
    codes = {*fc.METHOD_OF_PATTERN.values(), fc.SES, fc.HISTORIC_AVERAGE}
    assert codes <= set(fc.METHOD_LABELS)
    for code in codes:
        assert method_label(code) != code


@pytest.mark.parametrize(
    ("kind", "reason", "payload", "en", "zh"),
    [
        (
            "restock_proposal.proposed",
            "",
            {"listing": 5, "quantity": 48, "urgent": True},
            "Urgent restock proposal #9: listing #5 is trending",
            "紧急补货建议 #9",
        ),
        (
            "restock_proposal.withdrawn",
            "covered: available, inbound and ordered stock meet the forecast need",
            {"from": "open", "to": "withdrawn", "listing": 5, "quantity": 48},
            "was withdrawn: the stock available, on the way and ordered now covers",
            "现有、在途和已下单的库存",
        ),
        (
            "restock_proposal.confirmed",
            "",
            {"listing": 5, "quantity": 36, "stocking_order": 7, "ship_by": "2026-03-12"},
            "stocking order #7 for 36 units",
            "备货单 #7",
        ),
    ],
)
def test_the_notifications_say_it_in_words(kind, reason, payload, en, zh):
    from django.utils import translation

    from portal.notifications.describe import describe, reason_text

    event = Event(kind=kind, subject_id="9", reason=reason, payload=payload)
    with translation.override("en"):
        assert en in describe(event)
        assert reason_text(event) == ""
    with translation.override("zh-hans"):
        assert zh in describe(event)


def test_the_cap_in_words_counts_what_is_already_ordered_and_whole_cases():
    p = proposal(need="45.200", case_pack=12, cap=30, open_orders=10, quantity=12)
    p.refresh_from_db()
    assert (
        arithmetic_of(p)
        .sentence()
        .endswith(
            "rounded up to cases of 12 = 48; stocking cap 30 less 10 already ordered, in whole "
            "cases → 12"
        )
    )
    p = proposal(need="45.200", case_pack=12, cap=30, quantity=24)
    p.refresh_from_db()
    assert arithmetic_of(p).sentence().endswith("stocking cap 30, in whole cases → 24")
