"""The one compliance answer (issue 12): every rule with the SPEC's numbers, replay at a past date
with a programme that changes, and constant query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone, translation

from catalogue.models import Category, Listing
from compliance.models import (
    Audit,
    Certificate,
    CorrectiveAction,
    Finding,
    MarketHold,
    Standard,
    TestRecord,
)
from compliance.selectors.answer import compliance_answer, compliance_answers
from marketplace.errors import DomainError, ErrorKind
from suppliers.models import Supplier
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import CategoryFactory, ListingFactory, ProductFactory
from tests.factories.compliance import (
    CertificateFactory,
    LabFactory,
    TestRecordFactory,
)

from .answer_support import efiling_data, make_compliant

pytestmark = pytest.mark.django_db


def listing_in(code: str, **kwargs) -> Listing:
    category = Category.objects.get(code=code)
    listing = ListingFactory(product=ProductFactory(category=category), **kwargs)
    return Listing.objects.select_related("product__category").get(pk=listing.pk)


def codes(answer) -> list[str]:
    return [reason.code for reason in answer.reasons]


def record(listing: Listing, code: str, **kwargs) -> TestRecord:
    return TestRecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=Standard.objects.get(code=code),
        **kwargs,
    )


# --- No rules, unknown market ----------------------------------------------------------------


def test_without_programmes_every_listing_holds_in_two_queries(django_assert_num_queries):
    listing = ListingFactory()
    listing = Listing.objects.select_related("product__category").get(pk=listing.pk)
    with django_assert_num_queries(2):
        answer = compliance_answer(listing, "US")
    assert answer.may_sell
    assert answer.may_ship
    assert answer.reasons == ()
    assert answer.listing_id == listing.pk
    assert answer.market == "US"


def test_an_unknown_market_is_invalid_naming_market():
    listing = ListingFactory()
    with pytest.raises(DomainError) as error:
        compliance_answer(listing, "XX")
    assert error.value.kind == ErrorKind.INVALID
    assert "market" in error.value.fields
    with pytest.raises(DomainError) as error:
        compliance_answers(Listing.objects.all(), ["US", "ZZ"])
    assert "market" in error.value.fields


# --- The SPEC's table -------------------------------------------------------------------------


def test_a_toy_with_every_test_and_certificate_holds_in_us_eu_uk(spec_programmes):
    listing = listing_in("toys")
    assert not compliance_answer(listing, "US").may_sell
    make_compliant(listing)
    listing.refresh_from_db()
    for market in ("US", "EU", "UK"):
        answer = compliance_answer(listing, market)
        assert answer.may_sell, (market, codes(answer))
        assert answer.may_ship


def test_a_toy_without_evidence_names_every_required_standard(spec_programmes):
    listing = listing_in("toys")
    answer = compliance_answer(listing, "US")
    assert not answer.may_sell
    assert not answer.may_ship
    assert [(r.code, r.standard) for r in answer.reasons] == [
        ("test_missing", "ASTM F963-23"),
        ("certificate_missing", "CPC"),
        ("test_missing", "CPSIA"),
    ]
    eu = compliance_answer(listing, "EU")
    assert ("gpsr_details_missing", "GPSR") in [(r.code, r.standard) for r in eu.reasons]
    gpsr = next(r for r in eu.reasons if r.code == "gpsr_details_missing")
    assert gpsr.fields == ("gpsr_manufacturer", "eu_responsible_person")


def test_a_category_programme_replaces_the_general_one_and_a_child_uses_its_parent(
    spec_programmes,
):
    toys = Category.objects.get(code="toys")
    blocks = CategoryFactory(code="toys-blocks", parent=toys, risk_level="high")
    child = ListingFactory(product=ProductFactory(category=blocks))
    child = Listing.objects.select_related("product__category").get(pk=child.pk)
    assert {r.standard for r in compliance_answer(child, "US").reasons} == {
        "ASTM F963-23",
        "CPSIA",
        "CPC",
    }
    plain = CategoryFactory(code="kitchen", risk_level="low")
    other = ListingFactory(product=ProductFactory(category=plain))
    other = Listing.objects.select_related("product__category").get(pk=other.pk)
    assert [(r.code, r.standard) for r in compliance_answer(other, "US").reasons] == [
        ("certificate_missing", "GCC")
    ]
    assert compliance_answer(other, "UK").may_sell  # no general UK programme


def test_the_cpsc_flag_needs_a_cpsc_accepted_lab(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    old = TestRecord.objects.get(product=listing.product, standard__code="CPSIA")
    old.delete()
    record(listing, "CPSIA", lab=LabFactory(cpsc_accepted=False))
    answer = compliance_answer(listing, "US")
    assert [(r.code, r.standard) for r in answer.reasons] == [("lab_not_accepted", "CPSIA")]


@pytest.mark.parametrize(
    ("result", "issued_days_ago", "valid_days_ago", "code"),
    [
        ("fail", 10, -300, "test_failed"),
        ("inconclusive", 10, -300, "test_inconclusive"),
        ("pass", 400, 1, "test_expired"),
    ],
)
def test_the_latest_record_decides(spec_programmes, result, issued_days_ago, valid_days_ago, code):
    listing = listing_in("toys")
    make_compliant(listing)
    TestRecord.objects.filter(product=listing.product, standard__code="ASTM F963-23").delete()
    today = timezone.localdate()
    record(
        listing,
        "ASTM F963-23",
        result=result,
        issued_on=today - timedelta(days=issued_days_ago),
        valid_until=today - timedelta(days=valid_days_ago),
    )
    [reason] = compliance_answer(listing, "US").reasons
    assert reason.code == code
    assert reason.standard == "ASTM F963-23"
    expected_on = (
        today - timedelta(days=valid_days_ago)
        if code == "test_expired"
        else today - timedelta(days=issued_days_ago)
    )
    assert reason.on == expected_on


def test_a_failed_retest_overrides_an_older_pass(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    record(listing, "CPSIA", result="fail", issued_on=timezone.localdate())
    assert codes(compliance_answer(listing, "US")) == ["test_failed"]


def test_unverified_or_rejected_records_never_count(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    TestRecord.objects.filter(product=listing.product, standard__code="CPSIA").delete()
    record(listing, "CPSIA", status="unverified", verified_at=None, source="supplier")
    record(listing, "CPSIA", status="rejected", verified_at=None, source="supplier")
    assert codes(compliance_answer(listing, "US")) == ["test_missing"]


@pytest.mark.parametrize(
    ("status", "valid_days", "code"),
    [
        ("unverified", 300, "certificate_unverified"),
        ("rejected", 300, "certificate_rejected"),
        ("verified", -1, "certificate_expired"),
    ],
)
def test_certificates(spec_programmes, status, valid_days, code):
    listing = listing_in("toys")
    make_compliant(listing)
    Certificate.objects.filter(standards__code="CPC").delete()
    today = timezone.localdate()
    certificate = CertificateFactory(
        supplier=listing.supplier,
        kind="cpc",
        status=status,
        checked_at=None if status == "unverified" else timezone.now() - timedelta(days=1),
        issued_on=today - timedelta(days=400),
        valid_until=today + timedelta(days=valid_days),
        **efiling_data(),
    )
    certificate.products.add(listing.product)
    certificate.standards.add(Standard.objects.get(code="CPC"))
    [reason] = compliance_answer(listing, "US").reasons
    assert (reason.code, reason.standard) == (code, "CPC")
    if code == "certificate_expired":
        assert reason.on == today + timedelta(days=valid_days)


def test_a_rejected_copy_does_not_hide_a_verified_certificate(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    fake = CertificateFactory(
        supplier=listing.supplier, status="rejected", checked_at=timezone.now()
    )
    fake.products.add(listing.product)
    fake.standards.add(Standard.objects.get(code="CPC"))
    assert compliance_answer(listing, "US").may_sell


@pytest.mark.parametrize("best_first", [True, False])
def test_the_set_based_answer_picks_the_same_certificate_among_several(spec_programmes, best_first):
    """Several certificates for one product and standard: the set-based answer keeps the same
    best one as the single answer (verified and in date, the latest valid first), whatever the
    order they were recorded in."""
    listing = listing_in("toys")
    make_compliant(listing)
    Certificate.objects.filter(standards__code="CPC").delete()
    today = timezone.localdate()
    checked = timezone.now() - timedelta(days=1)
    complete = efiling_data()
    lacking = {**complete, "certifier": "", "test_lab": None}
    kinds = [
        # The best: verified, in date, valid the longest; it lacks eFiling data, so the answer
        # names it.
        {"status": "verified", "valid_until": today + timedelta(days=500), **lacking},
        {"status": "verified", "valid_until": today + timedelta(days=300), **complete},
        {"status": "rejected", "valid_until": today + timedelta(days=900), **complete},
        {"status": "verified", "valid_until": today - timedelta(days=1), **complete},
        {"status": "unverified", "valid_until": today + timedelta(days=900), **complete},
    ]
    if not best_first:
        kinds.reverse()
    for kind in kinds:
        certificate = CertificateFactory(
            supplier=listing.supplier,
            kind="cpc",
            checked_at=None if kind["status"] == "unverified" else checked,
            issued_on=today - timedelta(days=400),
            **kind,
        )
        certificate.products.add(listing.product)
        certificate.standards.add(Standard.objects.get(code="CPC"))
    with override_settings(EFILING_REQUIRED_FROM=today):
        one = compliance_answer(listing, "US")
        many = compliance_answers(Listing.objects.filter(pk=listing.pk), ["US"])
    assert [(r.code, r.standard, r.fields) for r in one.reasons] == [
        ("efiling_data_missing", "CPC", ("certifier", "test_lab"))
    ]
    assert many[(listing.pk, "US")].reasons == one.reasons


def test_efiling_data_is_required_from_the_setting_date(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    Certificate.objects.filter(standards__code="CPC").update(
        certifier="", last_tested_at="", test_lab=None
    )
    today = timezone.localdate()
    with override_settings(EFILING_REQUIRED_FROM=today + timedelta(days=1)):
        before = compliance_answer(listing, "US")
    with override_settings(EFILING_REQUIRED_FROM=today):
        after = compliance_answer(listing, "US")
    assert "efiling_data_missing" not in codes(before)
    [reason] = [r for r in after.reasons if r.code == "efiling_data_missing"]
    assert reason.standard == "CPC"
    assert reason.fields == ("certifier", "last_tested_at", "test_lab")
    assert not after.may_sell


def test_a_certificate_never_satisfies_a_high_risk_test_requirement(spec_programmes):
    """Electronics (high risk) in the US: FCC Part 15 is `test_or_certificate`; an SDoC alone is
    not enough. The same programme for a low-risk category accepts the certificate."""
    electronics = Category.objects.get(code="electronics")
    assert electronics.risk_level == "high"
    listing = listing_in("electronics")
    make_compliant(listing, ["US"])
    TestRecord.objects.filter(product=listing.product).delete()
    sdoc = CertificateFactory(
        supplier=listing.supplier, kind="fcc_sdoc", status="verified", checked_at=timezone.now()
    )
    sdoc.products.add(listing.product)
    sdoc.standards.add(Standard.objects.get(code="FCC Part 15"))
    answer = compliance_answer(listing, "US")
    assert [(r.code, r.standard) for r in answer.reasons] == [("test_missing", "FCC Part 15")]
    Category.objects.filter(pk=electronics.pk).update(risk_level="low")
    listing = Listing.objects.select_related("product__category").get(pk=listing.pk)
    assert compliance_answer(listing, "US").may_sell


def test_gpsr_needs_both_details(spec_programmes):
    listing = listing_in("cosmetics")
    make_compliant(listing, ["EU"])
    listing.eu_responsible_person = ""
    listing.save()
    [reason] = compliance_answer(listing, "EU").reasons
    assert (reason.code, reason.fields) == ("gpsr_details_missing", ("eu_responsible_person",))


# --- Supplier, findings, holds ------------------------------------------------------------------


def test_a_suspended_supplier_may_ship_but_not_sell(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    Supplier.objects.filter(pk=listing.supplier_id).update(status=Supplier.Status.SUSPENDED)
    answer = compliance_answer(listing, "US")
    assert codes(answer) == ["supplier_suspended"]
    assert not answer.may_sell
    assert answer.may_ship


def critical_finding(listing, category=None, *, recorded_days_ago=30, closed_at=None):
    audit = Audit.objects.create(
        supplier=listing.supplier,
        auditor="QIMA, Wang Fang",
        audited_on=timezone.localdate() - timedelta(days=recorded_days_ago),
        score=55,
        recorded_by=UserFactory(is_staff=True),
        recorded_at=timezone.now() - timedelta(days=recorded_days_ago),
    )
    finding = Finding.objects.create(
        audit=audit, severity="critical", category=category, area="chemicals", description="x"
    )
    CorrectiveAction.objects.create(
        finding=finding,
        supplier=listing.supplier,
        due_on=timezone.localdate() + timedelta(days=10),
        status="closed" if closed_at else "open",
        closed_at=closed_at,
    )
    return audit


def test_an_open_critical_finding_blocks_its_category_until_closed(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    other_category = CategoryFactory(code="garden", risk_level="low")
    critical_finding(listing, other_category)
    assert compliance_answer(listing, "UK").may_sell  # another category
    audit = critical_finding(listing, listing.product.category)
    answer = compliance_answer(listing, "UK")
    assert codes(answer) == ["critical_finding_open"]
    assert not answer.may_ship
    assert answer.reasons[0].on == audit.audited_on
    CorrectiveAction.objects.filter(finding__audit=audit).update(
        status="closed", closed_at=timezone.now() - timedelta(days=1)
    )
    assert compliance_answer(listing, "UK").may_sell
    # Replayed before it was closed, it was blocking.
    past = timezone.now() - timedelta(days=2)
    assert codes(compliance_answer(listing, "UK", at=past)) == ["critical_finding_open"]


def test_a_finding_without_category_blocks_all_listings(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    critical_finding(listing, None)
    assert codes(compliance_answer(listing, "EU")) == ["critical_finding_open"]


def test_a_market_hold_blocks_that_market_only_while_in_force(spec_programmes):
    listing = listing_in("toys")
    make_compliant(listing)
    started = timezone.now() - timedelta(days=5)
    hold = MarketHold.objects.create(
        listing=listing, market="EU", reason="officer", started_at=started
    )
    assert codes(compliance_answer(listing, "EU")) == ["market_hold"]
    assert compliance_answer(listing, "US").may_sell
    hold.lifted_at = timezone.now() - timedelta(days=1)
    hold.save()
    assert compliance_answer(listing, "EU").may_sell
    assert codes(compliance_answer(listing, "EU", at=started + timedelta(hours=1))) == [
        "market_hold"
    ]


# --- Replay ---------------------------------------------------------------------------------------


def test_replay_follows_the_programme_in_force_en_18031_from_2025_08_01(spec_programmes):
    """The EU electronics programme gains EN 18031 on 2025-08-01: a listing with the other
    tests held in July 2025 and no longer in August."""
    listing = listing_in("electronics")
    july = datetime(2025, 7, 15, 12, tzinfo=UTC)
    make_compliant(listing, ["EU"], at=july)
    TestRecord.objects.update(valid_until=date(2026, 12, 31))
    Certificate.objects.update(valid_until=date(2027, 12, 31))
    assert compliance_answer(listing, "EU", at=july).may_sell
    august = datetime(2025, 8, 15, 12, tzinfo=UTC)
    answer = compliance_answer(listing, "EU", at=august)
    assert [(r.code, r.standard) for r in answer.reasons] == [("test_missing", "EN 18031")]
    record(
        listing,
        "EN 18031",
        issued_on=date(2025, 9, 1),
        valid_until=date(2026, 9, 1),
        recorded_at=datetime(2025, 9, 2, tzinfo=UTC),
    )
    # Recorded in September: August's answer is unchanged, September's holds.
    assert codes(compliance_answer(listing, "EU", at=august)) == ["test_missing"]
    assert compliance_answer(listing, "EU", at=datetime(2025, 9, 10, tzinfo=UTC)).may_sell


def test_replay_ignores_what_was_recorded_verified_or_superseded_after(spec_programmes):
    listing = listing_in("toys")
    then = timezone.now() - timedelta(days=60)
    make_compliant(listing, ["UK"], at=then)
    TestRecord.objects.update(valid_until=timezone.localdate() + timedelta(days=100))
    assert compliance_answer(listing, "UK", at=then).may_sell
    # An officer's record verified after `then` did not count then.
    old = TestRecord.objects.get(standard__code="EN 71-3")
    retest = record(
        listing,
        "EN 71-3",
        result="fail",
        issued_on=timezone.localdate() - timedelta(days=59),
        recorded_at=then - timedelta(days=1),
        verified_at=then + timedelta(days=1),
        source="officer",
    )
    assert compliance_answer(listing, "UK", at=then).may_sell
    assert codes(compliance_answer(listing, "UK")) == ["test_failed"]
    # A record superseded later still counted before.
    TestRecord.objects.filter(pk=old.pk).update(
        superseded_by=retest, superseded_at=then + timedelta(days=2)
    )
    assert compliance_answer(listing, "UK", at=then).may_sell
    # A certificate checked after `then` was unverified then.
    TestRecord.objects.filter(pk=retest.pk).update(result="pass")
    cert = Certificate.objects.get(standards__code="UKCA/CE (toys)")
    cert.checked_at = then + timedelta(days=1)
    cert.save()
    assert codes(compliance_answer(listing, "UK", at=then)) == ["certificate_unverified"]


# --- Many listings ------------------------------------------------------------------------------


def scenario() -> list[Listing]:
    """Listings in every state the rules know."""
    listings = []
    for code in ("toys", "electronics", "cosmetics"):
        ok = listing_in(code)
        make_compliant(ok)
        listings.append(ok)
        bare = listing_in(code)
        listings.append(bare)
    failed = listing_in("toys")
    make_compliant(failed)
    record(failed, "EN 71-3", result="fail", issued_on=timezone.localdate())
    suspended = listing_in("toys")
    make_compliant(suspended)
    Supplier.objects.filter(pk=suspended.supplier_id).update(status="suspended")
    held = listing_in("cosmetics")
    make_compliant(held)
    MarketHold.objects.create(listing=held, market="US", reason="officer")
    cert = Certificate.objects.filter(products=held.product, standards__code="CPNP").get()
    cert.status = "rejected"
    cert.save()
    plain = ListingFactory(
        product=ProductFactory(category=CategoryFactory(code="home", risk_level="low"))
    )
    listings += [failed, suspended, held, plain]
    return [Listing.objects.select_related("product__category").get(pk=x.pk) for x in listings]


def test_the_set_based_answers_equal_the_single_ones(spec_programmes):
    listings = scenario()
    answers = compliance_answers(Listing.objects.all(), ["US", "EU", "UK"])
    assert len(answers) == len(listings) * 3
    blocked = 0
    for listing in listings:
        for market in ("US", "EU", "UK"):
            one = compliance_answer(listing, market)
            many = answers[(listing.pk, market)]
            assert one.reasons == many.reasons, (listing.product.category.code, market)
            blocked += not one.may_sell
    assert blocked > 5


def test_the_set_based_answers_cost_the_same_queries_for_more_listings(
    spec_programmes, django_assert_num_queries
):
    listings = scenario()
    with django_assert_num_queries(6):
        compliance_answers(Listing.objects.filter(pk__in=[listings[0].pk]), ["US", "EU"])
    with django_assert_num_queries(6):
        compliance_answers(Listing.objects.all(), ["US", "EU", "UK"])


def test_without_programmes_the_set_based_answers_cost_four_queries(django_assert_num_queries):
    ListingFactory.create_batch(3)
    with django_assert_num_queries(4):
        answers = compliance_answers(Listing.objects.all(), ["US", "EU", "UK"])
    assert len(answers) == 9
    assert all(answer.may_sell for answer in answers.values())


def test_the_single_answer_costs_two_queries_with_rules(spec_programmes, django_assert_num_queries):
    listing = listing_in("toys")
    make_compliant(listing)
    for market in ("US", "EU", "UK"):
        with django_assert_num_queries(2):
            compliance_answer(listing, market)


# --- Messages --------------------------------------------------------------------------------


def test_reasons_read_in_both_languages(spec_programmes):
    listing = listing_in("toys")
    answer = compliance_answer(listing, "EU")
    reason = next(r for r in answer.reasons if r.code == "gpsr_details_missing")
    with translation.override("en"):
        english = reason.message
    with translation.override("zh-hans"):
        chinese = reason.message
    assert "GPSR" in english
    assert "EU responsible person" in english
    assert chinese != english
    assert "欧盟" in chinese
    for r in answer.reasons:
        with translation.override("zh-hans"):
            assert r.message
            assert r.message != r.code
