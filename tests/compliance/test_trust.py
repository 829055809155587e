"""The public trust page of a live listing: no login, the product in the reader's language, the
markets where it may be sold now, its verified passing tests in date; nothing private (asserted
on the HTML with a product that has all of it); 404 unless live; cacheable; a valid QR SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from catalogue.models import Listing, ProductImage
from compliance.models import Measurement, TestRecord, TrustPage
from compliance.services.trust import trust_pages_for
from portal.trust import qr_svg
from tests.factories.catalogue import CategoryFactory, ListingFactory, ProductFactory, retail_price
from tests.factories.compliance import (
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


def live_listing(**fields):
    category = CategoryFactory(code="toys-trust", name_en="Toys", name_zh="玩具")
    supplier = SupplierFactory(name_en="Secret Toys Factory", name_zh="秘密玩具厂")
    product = ProductFactory(
        title_en="Wooden train", title_zh="木制小火车", category=category, owner=supplier
    )
    listing = ListingFactory(
        supplier=supplier,
        product=product,
        status=Listing.Status.LIVE,
        supply_price_cny=Decimal("77.70"),
        gpsr_manufacturer="Secret Toys Factory, Dongguan",
        eu_responsible_person="EU Rep GmbH, Berlin",
        **fields,
    )
    return listing


@pytest.fixture
def world(settings, tmp_path):
    """A live listing priced in the EU and the US: the EU requires EN 71-3 (passed, verified,
    in date), the US requires ASTM F963 (no record): sellable in the EU only. Around it, what
    the page must never show."""
    settings.MEDIA_ROOT = tmp_path
    listing = live_listing()
    retail_price(listing, "EU", "123.45")
    retail_price(listing, "US", "234.56")
    en71 = StandardFactory(code="EN 71-3", title="Migration of certain elements", market="EU")
    astm = StandardFactory(code="ASTM F963-23", title="Toy safety", market="US")
    category = listing.product.category
    RequirementFactory(programme=ProgrammeFactory(category=category, market="EU"), standard=en71)
    RequirementFactory(programme=ProgrammeFactory(category=category, market="US"), standard=astm)
    lab = LabFactory(name="Shenzhen Testing Centre")
    LabAccreditationFactory(lab=lab, standard=en71)
    good = RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=en71,
        lab=lab,
        report_number="SECRET-RPT-991",
        report_file=SimpleUploadedFile("secret-report-991.pdf", b"%PDF-1.4 secret"),
        report_sha256="ab" * 32,
    )
    Measurement.objects.create(
        record=good,
        parameter="lead_substrate",
        unit="ppm",
        value=Decimal("12.3456"),
        maximum=Decimal("100"),
        verdict=Measurement.Verdict.WITHIN,
    )
    # Not shown: a failed test, an unverified one, an expired one, a superseded one, and another
    # supplier's passing test of the same product.
    RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=astm,
        lab=LabFactory(name="Failing Lab"),
        result=TestRecord.Result.FAIL,
    )
    RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=astm,
        lab=LabFactory(name="Unverified Lab"),
        status=TestRecord.Status.UNVERIFIED,
        verified_at=None,
    )
    RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=astm,
        lab=LabFactory(name="Expired Lab"),
        issued_on=timezone.localdate() - timedelta(days=400),
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    RecordFactory(
        product=listing.product,
        supplier=listing.supplier,
        standard=astm,
        lab=LabFactory(name="Superseded Lab"),
        superseded_at=timezone.now() - timedelta(days=1),
    )
    rival = SupplierFactory(name_en="Rival Co", name_zh="对手公司")
    RecordFactory(
        product=listing.product,
        supplier=rival,
        standard=astm,
        lab=LabFactory(name="Rival Lab"),
        report_number="RIVAL-RPT-1",
    )
    ProductImage.objects.create(
        product=listing.product,
        image=SimpleUploadedFile("train.jpg", b"full"),
        thumbnail=SimpleUploadedFile("train-thumb.jpg", b"thumb"),
    )
    [page] = trust_pages_for(Listing.objects.filter(pk=listing.pk)).values()
    return listing, page


def page_url(page: TrustPage) -> str:
    return reverse("trust:page", args=[page.token])


def test_the_page_shows_the_product_its_markets_and_its_tests_without_login(client, world):
    _listing, page = world
    response = client.get(page_url(page), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wooden train" in html
    assert 'data-market="EU"' in html
    assert 'data-market="US"' not in html  # ASTM F963 has no passing test
    assert "EN 71-3" in html
    assert "Shenzhen Testing Centre" in html
    record = TestRecord.objects.get(report_number="SECRET-RPT-991")
    assert record.issued_on.isoformat() in html
    assert record.valid_until.isoformat() in html
    assert reverse("trust:picture", args=[page.token]) in html
    assert "<svg" in html  # the QR code, inline


def test_the_page_leaks_nothing_private(client, world):
    _listing, page = world
    html = client.get(page_url(page)).content.decode()
    html += client.get(page_url(page), {"lang": "zh-hans"}).content.decode()
    for private in [
        "Secret Toys Factory",
        "秘密玩具厂",
        "Dongguan",
        "EU Rep GmbH",
        "123.45",
        "234.56",
        "77.70",
        "SECRET-RPT-991",
        "secret-report",
        "ab" * 32,
        "12.3456",
        "12.35",
        "lead_substrate",
        "ppm",
        "Rival",
        "对手公司",
        "RIVAL-RPT-1",
        "Failing Lab",
        "Unverified Lab",
        "Expired Lab",
        "Superseded Lab",
        "/media/",
        'href="/portal/',
        "csrf",
    ]:
        assert private not in html, private


def test_the_page_speaks_the_readers_language(client, world):
    _listing, page = world
    html = client.get(page_url(page), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "木制小火车" in html
    assert "Wooden train" not in html
    assert "玩具" in html
    assert "独立实验室检测" in html
    assert "出具日期" in html
    assert "Independent laboratory tests" not in html
    asked = client.get(page_url(page), {"lang": "zh-hans"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "木制小火车" in asked.content.decode()
    assert asked["Content-Language"] == "zh-hans"
    assert "Wooden train" in client.get(page_url(page), {"lang": "en"}).content.decode()


@pytest.mark.parametrize("status", ["paused", "delisted", "approved"])
def test_a_listing_not_live_has_no_page(client, world, status):
    listing, page = world
    Listing.objects.filter(pk=listing.pk).update(status=status)
    assert client.get(page_url(page)).status_code == 404
    assert client.get(reverse("trust:qr", args=[page.token])).status_code == 404
    assert client.get(reverse("trust:picture", args=[page.token])).status_code == 404


def test_an_unknown_token_is_404(client, world):
    assert client.get(reverse("trust:page", args=["not-a-token"])).status_code == 404


def test_the_page_is_cacheable_by_anyone(client, world):
    _listing, page = world
    response = client.get(page_url(page))
    assert "public" in response["Cache-Control"]
    assert "max-age=300" in response["Cache-Control"]
    assert "Accept-Language" in response["Vary"]
    etag = response["ETag"]
    assert etag.startswith('"')
    again = client.get(page_url(page), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert "Set-Cookie" not in response.headers
    assert not response.cookies


def test_the_page_costs_the_same_queries_with_more_tests(
    client, world, django_assert_max_num_queries
):
    listing, page = world
    with django_assert_max_num_queries(40) as few:
        client.get(page_url(page))
    for n in range(5):
        RecordFactory(
            product=listing.product,
            supplier=listing.supplier,
            standard=StandardFactory(code=f"EXTRA-{n}"),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(page_url(page)).content.decode()
    assert "EXTRA-4" in html


def test_the_qr_code_is_valid_svg_of_the_pages_address(client, world):
    _listing, page = world
    response = client.get(reverse("trust:qr", args=[page.token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "public" in response["Cache-Control"]
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None
    assert response.content.decode() == qr_svg("http://testserver" + page_url(page))
    assert "http" not in response.content.decode().split("?>", 1)[1].replace(
        "http://www.w3.org/2000/svg", ""
    )  # nothing fetched from elsewhere


def test_the_picture_is_the_products_thumbnail(client, world):
    _listing, page = world
    response = client.get(reverse("trust:picture", args=[page.token]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"thumb"
    assert "train" not in str(response.headers)  # not the uploaded file's name
    assert "public" in response["Cache-Control"]


def test_trust_pages_are_made_once_per_listing(world, django_assert_max_num_queries):
    listing, page = world
    others = [live_listing_for_supplier() for _ in range(3)]
    with django_assert_max_num_queries(4):
        pages = trust_pages_for(Listing.objects.filter(pk__in=[listing.pk, *others]))
    assert pages[listing.pk] == page
    assert len({p.token for p in pages.values()}) == 4
    assert len(page.token) >= 24
    assert trust_pages_for(Listing.objects.filter(pk__in=others)).keys() == set(others)
    assert TrustPage.objects.count() == 4


def live_listing_for_supplier(supplier=None) -> int:
    return ListingFactory(
        status=Listing.Status.LIVE, **({"supplier": supplier} if supplier else {})
    ).pk


def test_the_portal_shows_a_supplier_its_own_live_listings_links_only(client, world):
    listing, page = world
    owner = MembershipFactory(supplier=listing.supplier, role="owner").user
    ListingFactory(supplier=listing.supplier, status=Listing.Status.DRAFT)
    rival_listing = ListingFactory(status=Listing.Status.LIVE)
    rival_page = trust_pages_for(Listing.objects.filter(pk=rival_listing.pk))[rival_listing.pk]
    client.force_login(owner)
    html = client.get(reverse("portal:compliance_trust")).content.decode()
    assert page.token in html
    assert reverse("trust:qr", args=[page.token]) in html
    assert rival_page.token not in html
    assert TrustPage.objects.filter(listing__supplier=listing.supplier).count() == 1
    detail = client.get(reverse("portal:listing_detail", args=[listing.pk])).content.decode()
    assert reverse("portal:compliance_trust_listing", args=[listing.pk]) in detail


def test_the_portal_makes_the_missing_pages_of_live_listings(client):
    supplier = SupplierFactory()
    owner = MembershipFactory(supplier=supplier, role="owner").user
    live = ListingFactory(supplier=supplier, status=Listing.Status.LIVE)
    client.force_login(owner)
    html = client.get(reverse("portal:compliance_trust")).content.decode()
    assert TrustPage.objects.get(listing=live).token in html


def test_the_admin_lists_every_live_listings_page_with_its_qr_code(admin_client, world):
    _listing, page = world
    other = ListingFactory(status=Listing.Status.LIVE)
    html = admin_client.get(reverse("admin:compliance_trustpage_changelist")).content.decode()
    assert page.token in html
    assert TrustPage.objects.get(listing=other).token in html
    assert reverse("trust:qr", args=[page.token]) in html


def test_the_portals_trust_list_is_for_members_only(client, operator):
    url = reverse("portal:compliance_trust")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(operator)
    assert client.get(url).status_code == 403


def test_one_listings_qr_page_is_its_suppliers_only(client, world):
    listing, page = world
    owner = MembershipFactory(supplier=listing.supplier, role="owner").user
    rival = MembershipFactory(role="owner").user
    url = reverse("portal:compliance_trust_listing", args=[listing.pk])
    client.force_login(owner)
    html = client.get(url).content.decode()
    assert page.token in html
    assert "<svg" in html
    client.force_login(rival)
    assert client.get(url).status_code == 404
    client.force_login(owner)
    Listing.objects.filter(pk=listing.pk).update(status="paused")
    assert client.get(url).status_code == 404


def test_missing_pages_are_made_in_batches(monkeypatch):
    from compliance.services import trust

    monkeypatch.setattr(trust, "BATCH", 2)
    for _ in range(5):
        ListingFactory(status=Listing.Status.LIVE)
    ListingFactory(status=Listing.Status.DRAFT)
    live = Listing.objects.filter(status=Listing.Status.LIVE)
    assert trust.trust_pages_make_missing(live) == 5
    assert trust.trust_pages_make_missing(live) == 0
    assert TrustPage.objects.count() == 5
