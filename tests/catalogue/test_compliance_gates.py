"""The listing gates of the compliance answer (issue 12): approval out of compliance review by a
compliance officer only where it holds in a market, publish and resume refused with
`compliance_blocked`, sellable markets only where it holds."""

from __future__ import annotations

import pytest

from catalogue.models import Category, Listing
from catalogue.selectors import sellable_markets_of, with_compliance, with_selling_data
from catalogue.services.listings import (
    listing_compliance_approve,
    listing_publish,
    listing_resume,
)
from compliance.models import MarketHold
from marketplace.errors import DomainError, ErrorKind
from suppliers.models import Supplier
from tests.compliance.answer_support import make_compliant
from tests.factories.catalogue import ListingFactory, ProductFactory, retail_price

pytestmark = pytest.mark.django_db


def toy(status: str, **kwargs) -> Listing:
    category = Category.objects.get(code="toys")
    return ListingFactory(status=status, product=ProductFactory(category=category), **kwargs)


def test_only_compliance_officers_approve(spec_programmes, operator, compliance_officer):
    listing = toy("compliance_review")
    make_compliant(listing)
    with pytest.raises(DomainError) as error:
        listing_compliance_approve(listing, actor=operator)
    assert error.value.kind == ErrorKind.FORBIDDEN
    listing_compliance_approve(listing, actor=compliance_officer)
    listing.refresh_from_db()
    assert listing.status == "approved"
    assert "US" in listing.status_reason


def test_approval_is_refused_with_the_reasons_when_it_holds_in_no_market(
    spec_programmes, compliance_officer
):
    listing = toy("compliance_review")
    with pytest.raises(DomainError) as error:
        listing_compliance_approve(listing, actor=compliance_officer)
    assert error.value.code == "compliance_blocked"
    assert error.value.kind == ErrorKind.INVALID
    reasons = error.value.extra["reasons"]
    assert {r["market"] for r in reasons} == {"US", "EU", "UK"}
    assert {"code": "test_missing", "standard": "ASTM F963-23", "market": "US"}.items() <= next(
        r for r in reasons if r["standard"] == "ASTM F963-23"
    ).items()
    listing.refresh_from_db()
    assert listing.status == "compliance_review"


def test_approval_needs_one_market_only(spec_programmes, compliance_officer):
    listing = toy("compliance_review")
    make_compliant(listing, ["UK"])
    listing_compliance_approve(listing, actor=compliance_officer)
    listing.refresh_from_db()
    assert listing.status == "approved"


def test_publish_refuses_where_it_holds_in_none_of_its_priced_markets(spec_programmes, operator):
    listing = toy("approved", is_jit=True, supplier__jit_status="enrolled")
    retail_price(listing, "US")
    make_compliant(listing, ["EU"])  # not where it is priced
    with pytest.raises(DomainError) as error:
        listing_publish(listing, actor=operator)
    assert error.value.code == "compliance_blocked"
    assert {r["market"] for r in error.value.extra["reasons"]} == {"US"}
    make_compliant(listing, ["US"])
    listing_publish(listing, actor=operator)
    listing.refresh_from_db()
    assert listing.status == "live"


def test_resume_refuses_a_listing_held_in_its_only_market(spec_programmes, operator):
    listing = toy("paused", is_jit=True, supplier__jit_status="enrolled")
    retail_price(listing, "UK")
    make_compliant(listing, ["UK"])
    MarketHold.objects.create(listing=listing, market="UK", reason="officer")
    with pytest.raises(DomainError) as error:
        listing_resume(listing, actor=operator)
    assert [r["code"] for r in error.value.extra["reasons"]] == ["market_hold"]
    MarketHold.objects.update(lifted_at=MarketHold.objects.get().started_at)
    listing_resume(listing, actor=operator)
    listing.refresh_from_db()
    assert listing.status == "live"


def test_a_suspended_supplier_cannot_publish_even_without_programmes(operator):
    listing = ListingFactory(status="approved", is_jit=True, supplier__jit_status="enrolled")
    retail_price(listing, "US")
    Supplier.objects.filter(pk=listing.supplier_id).update(status="suspended")
    with pytest.raises(DomainError) as error:
        listing_publish(listing, actor=operator)
    assert [r["code"] for r in error.value.extra["reasons"]] == ["supplier_suspended"]


def test_sellable_markets_keep_only_where_the_answer_holds(
    spec_programmes, django_assert_max_num_queries
):
    listing = toy("live")
    for market in ("US", "EU", "UK"):
        retail_price(listing, market)
    make_compliant(listing, ["UK", "EU"])
    listing.gpsr_manufacturer = ""
    listing.save()
    fresh = with_selling_data(Listing.objects.select_related("product__category")).get(
        pk=listing.pk
    )
    assert sellable_markets_of(fresh) == ["UK"]
    others = [toy("live") for _ in range(3)]
    for other in others:
        retail_price(other, "UK")
        make_compliant(other, ["UK"])
    page = list(with_selling_data(Listing.objects.all()))
    with django_assert_max_num_queries(6):
        with_compliance(page)
        markets = {x.pk: sellable_markets_of(x) for x in page}
    assert markets[listing.pk] == ["UK"]
    assert all(markets[o.pk] == ["UK"] for o in others)


def test_the_listing_admin_page_shows_compliance_by_market(
    spec_programmes, client, compliance_officer
):
    listing = toy("compliance_review")
    client.force_login(compliance_officer)
    page = client.get(f"/admin/catalogue/listing/{listing.pk}/change/").content.decode()
    assert 'data-testid="compliance"' in page
    assert "No passing test to ASTM F963-23." in page
    assert "The listing lacks its GPSR details" in page
