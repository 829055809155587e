"""Expiry: suppliers are warned 30 and 7 days before a required test or certificate of a live
listing expires, each warning once; when it lapses the listing stops being sellable in that
market with a `compliance.lapsed` event, and a new passing record restores it
(`compliance.restored`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Listing
from compliance.models import (
    ExpiryWarning,
    ListingMarketStatus,
    ProgrammeRequirement,
    TestRecord,
)
from compliance.services.expiry import (
    refresh_after_record,
    refresh_listing_market_status,
    send_expiry_warnings,
)
from compliance.tasks import compliance_expiry_task
from marketplace.models import Event
from tests.factories.catalogue import CategoryFactory, ListingFactory, ProductFactory, retail_price
from tests.factories.compliance import (
    CertificateFactory,
    LabAccreditationFactory,
    LabFactory,
    RequirementFactory,
    StandardFactory,
)
from tests.factories.compliance import (
    TestProgrammeFactory as ProgrammeFactory,
)
from tests.factories.compliance import (
    TestRecordFactory as RecordFactory,
)
from tests.factories.suppliers import MembershipFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def noon(day) -> datetime:
    return datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def setup():
    """A live toy listing sold in the EU, where toys need EN 71-3 (a lab test); its passing
    record expires in 40 days."""
    category = CategoryFactory(code="toys-expiry")
    standard = StandardFactory(code="EN 71-3", market="EU")
    RequirementFactory(
        programme=ProgrammeFactory(category=category, market="EU"), standard=standard
    )
    lab = LabFactory()
    LabAccreditationFactory(lab=lab, standard=standard)
    listing = live_listing(category)
    today = timezone.localdate()
    record = RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=standard,
        lab=lab,
        valid_until=today + timedelta(days=40),
    )
    return listing, record, today


def live_listing(category, supplier=None) -> Listing:
    listing = ListingFactory(
        supplier=supplier or SupplierFactory(),
        product=ProductFactory(category=category),
        status=Listing.Status.LIVE,
        gpsr_manufacturer="Maker, Dongguan",
        eu_responsible_person="Rep, Berlin",
    )
    retail_price(listing, "EU")
    return listing


def warnings(kind="compliance.test_expiring"):
    return list(Event.objects.filter(kind=kind).order_by("id"))


def test_a_supplier_is_warned_30_and_7_days_before_each_once(setup):
    listing, record, today = setup
    with time_machine.travel(noon(today + timedelta(days=9)), tick=False):  # 31 days left
        assert send_expiry_warnings() == 0
    with time_machine.travel(noon(today + timedelta(days=10)), tick=False):  # 30 days left
        assert send_expiry_warnings() == 1
        assert send_expiry_warnings() == 0
    with time_machine.travel(noon(today + timedelta(days=20)), tick=False):
        assert send_expiry_warnings() == 0
    with time_machine.travel(noon(today + timedelta(days=33)), tick=False):  # 7 days left
        assert send_expiry_warnings() == 1
        assert send_expiry_warnings() == 0
    with time_machine.travel(noon(today + timedelta(days=39)), tick=False):
        assert send_expiry_warnings() == 0
    first, second = warnings()
    assert first.supplier_id == second.supplier_id == listing.supplier_id
    assert first.payload == {
        "test_record": record.pk,
        "standard": "EN 71-3",
        "report_number": record.report_number,
        "valid_until": record.valid_until.isoformat(),
        "days": 30,
        "days_left": 30,
        "listings": [listing.pk],
    }
    assert second.payload["days"] == 7
    assert second.payload["days_left"] == 7
    assert sorted(ExpiryWarning.objects.values_list("days", flat=True)) == [7, 30]


def test_a_record_first_seen_inside_both_windows_gets_one_warning(setup):
    _listing, record, today = setup
    TestRecord.objects.filter(pk=record.pk).update(valid_until=today + timedelta(days=5))
    assert send_expiry_warnings() == 1
    assert send_expiry_warnings() == 0
    [event] = warnings()
    assert event.payload["days"] == 7
    assert event.payload["days_left"] == 5
    assert sorted(ExpiryWarning.objects.values_list("days", flat=True)) == [7, 30]


def test_the_thresholds_are_a_setting(setup, settings):
    _listing, _record, _today = setup
    settings.COMPLIANCE_EXPIRY_WARNING_DAYS = [45]
    assert send_expiry_warnings() == 1
    assert warnings()[0].payload["days"] == 45


def test_no_warning_for_what_no_live_listing_needs(setup):
    listing, record, today = setup
    soon = today + timedelta(days=10)
    category = listing.product.category
    # A listing that is not live.
    paused = ListingFactory(product=ProductFactory(category=category), status="paused")
    RecordFactory(
        product=paused.product, supplier=paused.supplier, standard=record.standard, valid_until=soon
    )
    # A standard no programme requires.
    RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=StandardFactory(code="NOT-REQUIRED"),
        valid_until=soon,
    )
    # A failed test, an unverified one, another supplier's test of the same product.
    for extra in (
        {"result": TestRecord.Result.FAIL},
        {"status": TestRecord.Status.UNVERIFIED, "verified_at": None},
        {"supplier": SupplierFactory()},
    ):
        RecordFactory(
            **{
                "product": listing.product,
                "supplier": listing.supplier,
                "standard": record.standard,
                "valid_until": soon,
                **extra,
            }
        )
    # The record itself is replaced by a newer pass that lasts longer.
    TestRecord.objects.filter(pk=record.pk).update(valid_until=soon)
    RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=record.standard,
        valid_until=today + timedelta(days=300),
    )
    assert send_expiry_warnings() == 0
    assert not ExpiryWarning.objects.exists()


def test_a_certificate_a_live_listing_relies_on_is_warned_of(setup):
    listing, _record, today = setup
    standard = StandardFactory(code="GPSR-DOC", market="EU")
    RequirementFactory(
        programme=ProgrammeFactory(category=None, market="EU"),
        standard=standard,
        evidence=ProgrammeRequirement.Evidence.CERTIFICATE,
    )
    certificate = CertificateFactory(
        supplier=listing.supplier,
        status="verified",
        checked_at=timezone.now(),
        valid_until=today + timedelta(days=30),
    )
    certificate.products.add(listing.product)
    certificate.standards.add(standard)
    unchecked = CertificateFactory(supplier=listing.supplier, valid_until=today + timedelta(days=3))
    unchecked.products.add(listing.product)
    unchecked.standards.add(standard)
    assert send_expiry_warnings() == 1
    [event] = warnings("compliance.certificate_expiring")
    assert event.payload == {
        "certificate": certificate.pk,
        "number": certificate.number,
        "standards": ["GPSR-DOC"],
        "valid_until": certificate.valid_until.isoformat(),
        "days": 30,
        "days_left": 30,
    }
    assert send_expiry_warnings() == 0


def test_warnings_cost_the_same_queries_with_more_records(setup, django_assert_max_num_queries):
    listing, record, today = setup
    TestRecord.objects.filter(pk=record.pk).update(valid_until=today + timedelta(days=20))
    with django_assert_max_num_queries(30) as few:
        assert send_expiry_warnings() == 1
    for _ in range(5):
        other = live_listing(listing.product.category)
        RecordFactory(
            product=other.product,
            supplier=other.supplier,
            standard=record.standard,
            lab=record.lab,
            valid_until=today + timedelta(days=20),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert send_expiry_warnings() == 5


def lapses(kind="compliance.lapsed"):
    return list(Event.objects.filter(kind=kind).order_by("id"))


def test_a_listing_lapses_when_its_test_expires_and_comes_back_with_a_new_one(setup):
    listing, record, today = setup
    assert refresh_listing_market_status() == (0, 0)
    status = ListingMarketStatus.objects.get(listing=listing, market="EU")
    assert status.may_sell
    assert not lapses()  # the first look tells nothing
    after = today + timedelta(days=41)
    with time_machine.travel(noon(after), tick=False):
        assert refresh_listing_market_status() == (1, 0)
        assert refresh_listing_market_status() == (0, 0)  # told once
        status.refresh_from_db()
        assert not status.may_sell
        codes = {reason["code"] for reason in status.reasons}
        assert codes & {"test_expired", "test_missing"}
        assert {reason.get("standard") for reason in status.reasons} == {"EN 71-3"}
        [lapsed] = lapses()
        assert lapsed.supplier_id == listing.supplier_id
        assert lapsed.payload["listing"] == listing.pk
        assert lapsed.payload["market"] == "EU"
        assert lapsed.payload["reasons"] == status.reasons
        assert "EN 71-3" in lapsed.reason
        # A new passing test arrives: the listing is sellable there again at once.
        new = RecordFactory(
            product=listing.product,
            supplier=listing.supplier,
            standard=record.standard,
            lab=record.lab,
            issued_on=after,
            valid_until=after + timedelta(days=365),
            recorded_at=timezone.now(),
            verified_at=timezone.now(),
        )
        refresh_after_record(new)
        status.refresh_from_db()
        assert status.may_sell
        assert status.reasons == []
        [restored] = lapses("compliance.restored")
        assert restored.payload == {"listing": listing.pk, "market": "EU"}
        assert refresh_listing_market_status() == (0, 0)


def test_the_daily_job_warns_and_lapses(setup):
    _listing, _record, today = setup
    compliance_expiry_task()
    with time_machine.travel(noon(today + timedelta(days=10)), tick=False):
        assert compliance_expiry_task() == "1 expiry warnings, 0 lapsed, 0 restored"
    with time_machine.travel(noon(today + timedelta(days=45)), tick=False):
        assert compliance_expiry_task() == "0 expiry warnings, 1 lapsed, 0 restored"


def test_the_daily_job_shows_its_progress_as_a_job_run(setup):
    """Operators watch the run: its total and done count the live listings checked."""
    from marketplace.models import JobRun

    ListingFactory(status=Listing.Status.LIVE)  # live, unpriced: checked, nothing to keep
    summary = compliance_expiry_task()
    run = JobRun.objects.get(name="compliance_expiry")
    assert (run.total, run.done, run.status) == (2, 2, JobRun.Status.SUCCEEDED)
    assert run.summary == summary


def test_only_live_listings_in_their_priced_markets_are_kept(setup):
    listing, _record, _today = setup
    paused = live_listing(listing.product.category)
    Listing.objects.filter(pk=paused.pk).update(status="paused")
    unpriced = ListingFactory(status=Listing.Status.LIVE)
    refresh_listing_market_status()
    assert set(ListingMarketStatus.objects.values_list("listing_id", "market")) == {
        (listing.pk, "EU")
    }
    assert not ListingMarketStatus.objects.filter(listing__in=[paused, unpriced]).exists()


def test_the_refresh_costs_the_same_queries_with_more_listings(
    setup, django_assert_max_num_queries
):
    listing, _record, today = setup
    after = noon(today + timedelta(days=41))
    refresh_listing_market_status()
    with django_assert_max_num_queries(60) as few:
        refresh_listing_market_status(at=after)
    ListingMarketStatus.objects.update(may_sell=True, reasons=[])
    for _ in range(5):
        live_listing(listing.product.category)
    refresh_listing_market_status()
    ListingMarketStatus.objects.update(may_sell=True, reasons=[])
    with django_assert_max_num_queries(len(few.captured_queries)):
        lapsed, _restored = refresh_listing_market_status(at=after)
    assert lapsed >= 6


def test_the_supplier_reads_the_lapse_and_the_warning_in_its_language(client, setup):
    listing, record, today = setup
    owner = MembershipFactory(supplier=listing.supplier, role="owner").user
    rival = MembershipFactory(role="owner").user
    refresh_listing_market_status()
    with time_machine.travel(noon(today + timedelta(days=33)), tick=False):
        send_expiry_warnings()
    with time_machine.travel(noon(today + timedelta(days=41)), tick=False):
        refresh_listing_market_status()
    client.force_login(owner)
    html = client.get(reverse("portal:notifications")).content.decode()
    assert "may no longer be sold in European Union" in html
    assert "EN 71-3" in html
    assert record.report_number in html  # the warning
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("portal:notifications")).content.decode()
    assert "已不能在欧盟销售" in html
    assert "将于" in html
    client.force_login(rival)
    html = client.get(reverse("portal:notifications")).content.decode()
    assert record.report_number not in html
    assert "European Union" not in html


def test_the_admin_lists_the_kept_answers_with_their_reasons(admin_client, setup):
    _listing, _record, today = setup
    with time_machine.travel(noon(today + timedelta(days=41)), tick=False):
        refresh_listing_market_status()
    html = admin_client.get(
        reverse("admin:compliance_listingmarketstatus_changelist")
    ).content.decode()
    assert "EN 71-3" in html
    assert "expired on" in html or "No passing test" in html  # the answer's sentence, not its code
