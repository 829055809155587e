"""An overdue critical corrective action pauses the supplier's live listings in the finding's
category; closing it restores exactly those it paused, and not one an operator changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from catalogue.models import Listing, ListingActionPause
from catalogue.services.corrective_pauses import listings_follow_corrective_actions
from catalogue.services.listings import listing_resume, listing_transition
from compliance.selectors.audits import capa_today
from compliance.services.audits import action_close, action_submit
from marketplace.errors import DomainError
from marketplace.models import Event
from tests.concurrency import run_in_threads
from tests.factories.catalogue import CategoryFactory, ListingFactory
from tests.factories.suppliers import SupplierFactory

from .audits_support import CorrectiveActionFactory, answered, critical_action

S = Listing.Status


def live(supplier, category, *, is_jit=True) -> Listing:
    # JIT listings sell without stock, so the stock rule leaves them live.
    return ListingFactory(
        supplier=supplier, product__category=category, status=S.LIVE, is_jit=is_jit
    )


def status(listing: Listing) -> str:
    listing.refresh_from_db()
    return listing.status


def close(action, officer) -> None:
    answered(action)
    action_submit(action, actor=officer)
    action_close(action, effectiveness_review="Checked on site.", actor=officer)


@pytest.fixture
def toys(db):
    toys = CategoryFactory(code="toys")
    return toys, CategoryFactory(code="dolls", parent=toys), CategoryFactory(code="kitchen")


@pytest.mark.django_db
def test_an_overdue_critical_action_pauses_the_category_and_its_children_only(
    toys, compliance_officer
):
    toys_, dolls, kitchen = toys
    supplier = SupplierFactory()
    in_toys, in_dolls, in_kitchen = (
        live(supplier, toys_),
        live(supplier, dolls),
        live(supplier, kitchen),
    )
    elsewhere = live(SupplierFactory(), toys_)
    draft = ListingFactory(supplier=supplier, product__category=toys_)
    action = critical_action(supplier, category=toys_)

    followed = listings_follow_corrective_actions()

    assert followed.paused == 2
    assert [status(x) for x in (in_toys, in_dolls, in_kitchen, elsewhere, draft)] == [
        S.PAUSED,
        S.PAUSED,
        S.LIVE,
        S.LIVE,
        S.DRAFT,
    ]
    assert set(
        ListingActionPause.objects.filter(action=action).values_list("listing_id", flat=True)
    ) == {in_toys.pk, in_dolls.pk}
    assert "corrective action" in in_toys.status_reason
    # Idempotent: a second run pauses nothing more.
    assert listings_follow_corrective_actions().paused == 0
    assert ListingActionPause.objects.count() == 2


@pytest.mark.django_db
def test_no_category_pauses_all_the_supplier_s_listings(toys):
    toys_, _dolls, kitchen = toys
    supplier = SupplierFactory()
    a, b = live(supplier, toys_), live(supplier, kitchen)
    critical_action(supplier, category=None)
    assert listings_follow_corrective_actions().paused == 2
    assert [status(a), status(b)] == [S.PAUSED, S.PAUSED]


@pytest.mark.django_db
def test_due_today_minor_or_closed_actions_pause_nothing(toys, compliance_officer):
    toys_, _dolls, _kitchen = toys
    supplier = SupplierFactory()
    listing = live(supplier, toys_)
    critical_action(supplier, category=toys_, due_on=capa_today())
    CorrectiveActionFactory(
        finding__audit__supplier=supplier,
        finding__severity="major",
        due_on=capa_today() - timedelta(days=3),
    )
    closed = critical_action(supplier, category=toys_)
    close(closed, compliance_officer)
    assert listings_follow_corrective_actions().paused == 0
    assert status(listing) == S.LIVE


@pytest.mark.django_db
def test_closing_restores_exactly_what_it_paused_and_not_what_an_operator_changed(
    toys, compliance_officer, operator
):
    toys_, _dolls, _kitchen = toys
    supplier = SupplierFactory()
    restored, resume_refused, delisted = (live(supplier, toys_) for _ in range(3))
    operator_paused = live(supplier, toys_)
    listing_transition(operator_paused, S.PAUSED, actor=operator, reason="Photos wrong.")
    action = critical_action(supplier, category=toys_)
    listings_follow_corrective_actions()
    assert ListingActionPause.objects.filter(action=action).count() == 3

    # Meanwhile an operator's resume is refused (the open critical finding blocks selling),
    # and another listing is delisted.
    with pytest.raises(DomainError) as refused:
        listing_resume(resume_refused, actor=operator, reason="Checked.")
    assert refused.value.code == "compliance_blocked"
    listing_transition(delisted, S.DELISTED, actor=operator, reason="Counterfeit.")

    close(action, compliance_officer)
    followed = listings_follow_corrective_actions(actor=operator)

    assert (followed.restored, followed.released) == (2, 1)
    assert [status(x) for x in (restored, resume_refused, delisted, operator_paused)] == [
        S.LIVE,
        S.LIVE,
        S.DELISTED,
        S.PAUSED,
    ]
    assert operator_paused.status_reason == "Photos wrong."
    pauses = ListingActionPause.objects.filter(action=action)
    assert all(p.released_at is not None for p in pauses)
    assert {p.listing_id for p in pauses if p.restored} == {restored.pk, resume_refused.pk}
    # Nothing more on a re-run.
    again = listings_follow_corrective_actions()
    assert (again.paused, again.restored, again.released) == (0, 0, 0)


@pytest.mark.django_db
def test_an_operator_cannot_resume_while_the_critical_action_is_overdue(toys, operator):
    toys_, _dolls, _kitchen = toys
    supplier = SupplierFactory()
    listing = live(supplier, toys_)
    critical_action(supplier, category=toys_)
    listings_follow_corrective_actions()
    with pytest.raises(DomainError) as refused:
        listing_resume(listing, actor=operator, reason="Exception granted.")
    assert refused.value.code == "compliance_blocked"
    assert status(listing) == S.PAUSED


@pytest.mark.django_db
def test_a_listing_still_under_another_overdue_action_stays_paused(toys, compliance_officer):
    toys_, dolls, _kitchen = toys
    supplier = SupplierFactory()
    listing = live(supplier, dolls)
    first = critical_action(supplier, category=toys_, due_on=capa_today() - timedelta(days=5))
    second = critical_action(supplier, category=None)
    listings_follow_corrective_actions()
    assert ListingActionPause.objects.get().action_id == first.pk
    close(first, compliance_officer)
    listings_follow_corrective_actions()
    assert status(listing) == S.PAUSED
    assert ListingActionPause.objects.get().action_id == second.pk
    close(second, compliance_officer)
    listings_follow_corrective_actions()
    assert status(listing) == S.LIVE


@pytest.mark.django_db
def test_a_restored_listing_without_stock_waits_for_stock(toys, compliance_officer):
    toys_, _dolls, _kitchen = toys
    supplier = SupplierFactory()
    listing = ListingFactory(supplier=supplier, product__category=toys_, status=S.LIVE)
    action = critical_action(supplier, category=toys_)
    listings_follow_corrective_actions()
    close(action, compliance_officer)
    listings_follow_corrective_actions()
    listing.refresh_from_db()
    assert listing.status == S.PAUSED
    assert listing.paused_for_stock


@pytest.mark.django_db
def test_the_pause_and_restore_are_events_the_supplier_reads(toys, compliance_officer):
    toys_, _dolls, _kitchen = toys
    supplier = SupplierFactory()
    listing = live(supplier, toys_)
    action = critical_action(supplier, category=toys_)
    listings_follow_corrective_actions()
    close(action, compliance_officer)
    listings_follow_corrective_actions()
    moves = Event.objects.filter(kind="listing.status_changed", subject_id=str(listing.pk))
    assert [(e.payload["to"], e.supplier_id) for e in moves.order_by("id")] == [
        ("paused", supplier.pk),
        ("live", supplier.pk),
    ]


@pytest.mark.django_db
def test_the_task_runs_the_sweep(toys):
    from catalogue.tasks import listings_follow_corrective_actions_task

    toys_, _dolls, _kitchen = toys
    supplier = SupplierFactory()
    live(supplier, toys_)
    critical_action(supplier, category=toys_)
    assert listings_follow_corrective_actions_task() == 1
    assert listings_follow_corrective_actions_task() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_in_parallel_pause_each_listing_once():
    assert connection.vendor == "postgresql"
    toys_ = CategoryFactory(code="toys")
    supplier = SupplierFactory()
    listings = [live(supplier, toys_) for _ in range(6)]
    critical_action(supplier, category=toys_)

    results = run_in_threads(listings_follow_corrective_actions, listings_follow_corrective_actions)

    assert sum(r.paused for r in results) == 6
    assert ListingActionPause.objects.count() == 6
    assert all(status(x) == S.PAUSED for x in listings)
    assert Event.objects.filter(kind="listing.status_changed").count() == 6
