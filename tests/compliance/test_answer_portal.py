"""The compliance answer in the portal (issue 12): every listing of the supplier by market with
the reasons, a compliance panel on the listing page, the GPSR details filled in by the supplier
(an event); another supplier's listing is a 404; both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalogue.models import Category, Listing
from marketplace.models import Event
from tests.factories.catalogue import ListingFactory, ProductFactory
from tests.factories.suppliers import MembershipFactory

from .answer_support import make_compliant

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MembershipFactory(role="owner", user__username="maker")


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.user)
    return client


def toy(supplier, **kwargs) -> Listing:
    category = Category.objects.get(code="toys")
    return ListingFactory(supplier=supplier, product=ProductFactory(category=category), **kwargs)


def test_the_overview_shows_every_listing_by_market_with_reasons(
    spec_programmes, signed_in, member, django_assert_max_num_queries
):
    ok = toy(member.supplier, status="live")
    make_compliant(ok)
    blocked = toy(member.supplier, status="live")
    other = toy(MembershipFactory().supplier)
    url = reverse("portal:compliance_overview")
    with django_assert_max_num_queries(14) as few:
        page = signed_in.get(url).content.decode()
    assert f'data-listing="{ok.pk}"' in page
    assert f'data-listing="{blocked.pk}"' in page
    assert f'data-listing="{other.pk}"' not in page
    assert "No passing test to ASTM F963-23." in page
    assert "The listing lacks its GPSR details" in page
    for _ in range(3):
        toy(member.supplier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        signed_in.get(url)


def test_the_overview_reads_in_chinese(spec_programmes, signed_in, member):
    toy(member.supplier)
    signed_in.cookies["django_language"] = "zh-hans"
    page = signed_in.get(reverse("portal:compliance_overview"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert "没有通过 ASTM F963-23 的检测。" in text
    assert "不得销售" in text


def test_the_listing_page_has_a_compliance_panel(spec_programmes, signed_in, member):
    listing = toy(member.supplier)
    page = signed_in.get(reverse("portal:listing_detail", args=[listing.pk])).content.decode()
    assert 'data-testid="compliance-panel"' in page
    assert "No passing test to CPSIA." in page
    assert 'data-testid="gpsr-form"' in page


def test_the_supplier_fills_in_the_gpsr_details(spec_programmes, signed_in, member):
    listing = toy(member.supplier)
    make_compliant(listing, ["EU"])
    Listing.objects.filter(pk=listing.pk).update(gpsr_manufacturer="", eu_responsible_person="")
    url = reverse("portal:compliance_listing_gpsr", args=[listing.pk])
    response = signed_in.post(
        url,
        {
            "gpsr_manufacturer": "Bright Toys Co., 8 Toy Road, Shantou, CN",
            "eu_responsible_person": "EU Rep GmbH, 1 Hafenstraße, Hamburg, DE",
        },
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.eu_responsible_person.startswith("EU Rep GmbH")
    event = Event.objects.get(kind="listing.gpsr_details_set")
    assert event.payload == {"changed": ["gpsr_manufacturer", "eu_responsible_person"]}
    page = signed_in.get(reverse("portal:listing_detail", args=[listing.pk])).content.decode()
    eu_row = page.split('data-market="EU"')[1].split("</tr>")[0]
    assert 'data-testid="compliance-ok"' in eu_row


def test_another_suppliers_listing_is_a_404(spec_programmes, signed_in):
    other = toy(MembershipFactory().supplier)
    url = reverse("portal:compliance_listing_gpsr", args=[other.pk])
    assert signed_in.post(url, {"gpsr_manufacturer": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.gpsr_manufacturer == ""
    assert signed_in.get(reverse("portal:listing_detail", args=[other.pk])).status_code == 404


def test_staff_get_403(client, operator):
    client.force_login(operator)
    assert client.get(reverse("portal:compliance_overview")).status_code == 403
