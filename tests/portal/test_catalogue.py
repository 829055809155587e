"""The catalogue pages of the seller portal: products with pictures, listings with their price
rounds and overseas stock, and tenders with the supplier's own sealed bid."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalogue.models import Bid, Listing, OverseasStock, PriceRound, Product, ProductImage
from catalogue.services.listings import listing_transition, retail_price_set
from catalogue.services.prices import price_counter, price_propose
from catalogue.services.tenders import bid_place, tenders_close_due
from suppliers.models import Supplier
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import (
    CategoryFactory,
    ListingFactory,
    ProductFactory,
    TenderFactory,
)
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db
S = Listing.Status


@pytest.fixture
def member():
    CategoryFactory(code="toys")
    return MembershipFactory(role="owner", user__username="maker")


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def operator_user():
    return UserFactory(is_staff=True, username="reviewer")


def text(response) -> str:
    return response.content.decode()


def png(size=(640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, "PNG")
    return out.getvalue()


PRODUCT_POST = {
    "title_en": "Wooden train set",
    "title_zh": "木制火车套装",
    "category": "toys",
    "hs_code": "9503.00",
    "weight_g": "800",
    "length_cm": "40",
    "width_cm": "25.5",
    "height_cm": "10",
    "declared_value_usd": "12.00",
    "origin_country": "CN",
    "attributes": "material=beech\nage=3+",
}


# --- Products --------------------------------------------------------------------------------


def test_the_product_list_searches_and_pages(signed_in, member):
    for n in range(30):
        ProductFactory(owner=member.supplier, title_en=f"Robot {n:02d}", hs_code="950300")
    ProductFactory(owner=member.supplier, title_en="Kite", title_zh="风筝", hs_code="950390")
    response = signed_in.get(reverse("portal:products"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == 25
    assert 'rel="next"' in text(response)
    found = signed_in.get(reverse("portal:products"), {"q": "风筝"})
    assert [p.title_en for p in found.context["page_obj"]] == ["Kite"]
    by_code = signed_in.get(reverse("portal:products"), {"q": "950390"})
    assert [p.title_en for p in by_code.context["page_obj"]] == ["Kite"]
    none = signed_in.get(reverse("portal:products"), {"q": "nothing like it"})
    assert "No product matches the search." in text(none)
    assert signed_in.get(reverse("portal:products"), {"page": "x"}).status_code == 200


def test_the_product_list_names_the_category_in_the_readers_language(signed_in, member):
    category = CategoryFactory(code="toys-plush", name_en="Plush toys", name_zh="毛绒玩具")
    ProductFactory(owner=member.supplier, category=category)
    english = text(signed_in.get(reverse("portal:products")))
    assert "Plush toys" in english
    assert "toys-plush" not in english
    chinese = text(signed_in.get(reverse("portal:products"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert "毛绒玩具" in chinese


def test_creating_a_product_leads_to_its_pictures(signed_in, member):
    assert signed_in.get(reverse("portal:product_new")).status_code == 200
    response = signed_in.post(reverse("portal:product_new"), PRODUCT_POST)
    product = Product.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:product_edit", args=[product.pk])
    assert product.owner == member.supplier
    assert (product.hs_code, product.width_cm) == ("950300", Decimal("25.5"))
    assert product.attributes == {"material": "beech", "age": "3+"}
    page = text(signed_in.get(response.url))
    assert "Product created." in page
    assert 'data-testid="image-form"' in page
    assert "material=beech" in page
    assert "age=3+" in page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hs_code", "12"),
        ("weight_g", "0"),
        ("length_cm", "-2"),
        ("declared_value_usd", "0"),
        ("category", "nope"),
        ("attributes", "material beech"),
        ("title_zh", ""),
    ],
)
def test_a_wrong_product_field_is_shown_beside_it(signed_in, field, value):
    response = signed_in.post(reverse("portal:product_new"), {**PRODUCT_POST, field: value})
    assert response.status_code == 200
    assert f'data-field="{field}"' in text(response)
    assert 'data-testid="error-summary"' in text(response)
    assert not Product.objects.exists()


def test_editing_a_product(signed_in, member):
    product = ProductFactory(owner=member.supplier, category__code="toys")
    page = signed_in.get(reverse("portal:product_edit", args=[product.pk]))
    assert page.status_code == 200
    assert product.title_en in text(page)
    response = signed_in.post(
        reverse("portal:product_edit", args=[product.pk]),
        {**PRODUCT_POST, "title_en": "Train set, 40 pieces"},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.title_en == "Train set, 40 pieces"
    bad = signed_in.post(
        reverse("portal:product_edit", args=[product.pk]), {**PRODUCT_POST, "hs_code": "1"}
    )
    assert bad.status_code == 200
    assert 'data-field="hs_code"' in text(bad)


def test_pictures_are_uploaded_and_shown_as_thumbnails(signed_in, member):
    product = ProductFactory(owner=member.supplier)
    url = reverse("portal:product_image_upload", args=[product.pk])
    response = signed_in.post(url, {"image": SimpleUploadedFile("a.png", png(), "image/png")})
    assert response.status_code == 302
    image = ProductImage.objects.get()
    thumb_url = reverse("portal:product_image", args=[product.pk, image.pk, "thumb"])
    assert thumb_url in text(signed_in.get(reverse("portal:product_edit", args=[product.pk])))
    assert thumb_url in text(signed_in.get(reverse("portal:products")))
    thumb = signed_in.get(thumb_url)
    assert thumb.status_code == 200
    assert thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as picture:
        assert max(picture.size) <= 320
    full = signed_in.get(reverse("portal:product_image", args=[product.pk, image.pk, "full"]))
    assert full["Content-Type"] == "image/png"
    assert b"".join(full.streaming_content) == png()
    bad_variant = reverse("portal:product_image", args=[product.pk, image.pk, "other"])
    assert signed_in.get(bad_variant).status_code == 404


def test_a_text_file_named_png_is_refused_beside_the_field(signed_in, member):
    product = ProductFactory(owner=member.supplier)
    response = signed_in.post(
        reverse("portal:product_image_upload", args=[product.pk]),
        {"image": SimpleUploadedFile("notes.png", b"hello, not a picture", "image/png")},
    )
    assert response.status_code == 200
    assert 'data-field="image"' in text(response)
    assert "JPEG, PNG or WebP" in text(response)
    assert not ProductImage.objects.exists()


# --- Listings --------------------------------------------------------------------------------


def test_creating_a_listing_for_ones_own_product(signed_in, member):
    product = ProductFactory(owner=member.supplier)
    page = signed_in.get(reverse("portal:listing_new"), {"product": product.pk})
    assert page.status_code == 200
    assert f'<option value="{product.pk}" selected>' in text(page)
    assert 'name="is_jit"' not in text(page)  # not enrolled in JIT
    assert 'data-testid="jit-unavailable"' in text(page)
    response = signed_in.post(
        reverse("portal:listing_new"),
        {"product": product.pk, "mode": "semi_managed", "is_jit": "on"},
    )
    listing = Listing.objects.get()
    assert response.url == reverse("portal:listing_detail", args=[listing.pk])
    assert (listing.supplier, listing.mode, listing.is_jit) == (
        member.supplier,
        "semi_managed",
        False,
    )
    again = signed_in.post(
        reverse("portal:listing_new"), {"product": product.pk, "mode": "semi_managed"}
    )
    assert again.status_code == 200
    assert 'data-field="mode"' in text(again)
    assert Listing.objects.count() == 1


def test_a_jit_enrolled_supplier_may_list_jit(signed_in, member):
    Supplier.objects.filter(pk=member.supplier.pk).update(jit_status="enrolled")
    product = ProductFactory(owner=member.supplier)
    assert 'name="is_jit"' in text(signed_in.get(reverse("portal:listing_new")))
    semi = signed_in.post(
        reverse("portal:listing_new"),
        {"product": product.pk, "mode": "semi_managed", "is_jit": "on"},
    )
    assert semi.status_code == 200
    assert 'data-field="is_jit"' in text(semi)
    signed_in.post(
        reverse("portal:listing_new"),
        {"product": product.pk, "mode": "fully_managed", "is_jit": "on"},
    )
    assert Listing.objects.get().is_jit


def test_without_products_the_listing_page_says_to_create_one(signed_in):
    page = text(signed_in.get(reverse("portal:listing_new")))
    assert "Create a product first" in page


def test_the_listing_list_shows_state_and_next_step_and_filters(signed_in, member):
    draft = ListingFactory(supplier=member.supplier, product__title_en="Draft kite")
    live = ListingFactory(
        supplier=member.supplier,
        product__title_en="Live yo-yo",
        status=S.LIVE,
        mode="semi_managed",
    )
    response = signed_in.get(reverse("portal:listings"))
    page = text(response)
    assert response.status_code == 200
    assert "Draft kite" in page
    assert "Live yo-yo" in page
    assert "Propose a supply price to submit the listing." in page
    assert "Live and selling." in page
    only_live = signed_in.get(reverse("portal:listings"), {"status": "live"})
    assert [row[0] for row in only_live.context["rows"]] == [live]
    only_full = signed_in.get(reverse("portal:listings"), {"mode": "fully_managed"})
    assert [row[0] for row in only_full.context["rows"]] == [draft]
    by_title = signed_in.get(reverse("portal:listings"), {"q": "kite"})
    assert [row[0] for row in by_title.context["rows"]] == [draft]
    nonsense = signed_in.get(reverse("portal:listings"), {"status": "nonsense"})
    assert nonsense.status_code == 200


def test_the_next_step_is_in_the_readers_language(signed_in, member):
    ListingFactory(supplier=member.supplier)
    signed_in.cookies["django_language"] = "zh-hans"
    from django.utils import translation

    from catalogue.services.listings import NEXT_STEP

    with translation.override("zh-hans"):
        expected = translation.gettext(str(NEXT_STEP[S.DRAFT]))
    response = signed_in.get(reverse("portal:listings"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.context["rows"][0][1] == expected


def test_proposing_a_price_opens_a_round_shown_on_the_page(signed_in, member):
    listing = ListingFactory(supplier=member.supplier)
    url = reverse("portal:listing_detail", args=[listing.pk])
    assert 'data-testid="price-form"' in text(signed_in.get(url))
    response = signed_in.post(
        reverse("portal:listing_price", args=[listing.pk]), {"price": "18.50", "note": "MOQ 500"}
    )
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == S.SUBMITTED
    page = text(signed_in.get(url))
    assert "Round 1: you proposed 18.50 CNY." in page
    rounds = re.search(r'data-testid="price-rounds">(.*?)</table>', page, re.S).group(1)
    assert "18.50" in rounds
    assert "MOQ 500" in rounds
    assert "Proposed" in rounds
    assert 'data-testid="price-form"' not in page  # one open round at a time
    # Posted anyway (a second tab): refused with the service's message, nothing opened.
    second = signed_in.post(reverse("portal:listing_price", args=[listing.pk]), {"price": "17"})
    assert second.status_code == 200
    assert 'data-field="price"' in text(second)
    assert listing.price_rounds.count() == 1


def test_a_wrong_price_is_shown_beside_the_field(signed_in, member):
    listing = ListingFactory(supplier=member.supplier)
    for price in ("0", "-1", "1.234", "abc"):
        response = signed_in.post(
            reverse("portal:listing_price", args=[listing.pk]), {"price": price}
        )
        assert response.status_code == 200
        assert 'data-field="price"' in text(response)
    assert not PriceRound.objects.exists()


def test_accepting_a_counter_offer(signed_in, member, operator_user):
    listing = ListingFactory(supplier=member.supplier)
    round_ = price_propose(listing, price="20.00", actor=member.user)
    price_counter(round_, price="17.80", actor=operator_user, note="Band is 15-18")
    page = text(signed_in.get(reverse("portal:listing_detail", args=[listing.pk])))
    assert 'data-testid="counter-offer"' in page
    assert "17.80" in page
    assert "Band is 15-18" in page
    response = signed_in.post(reverse("portal:listing_accept_counter", args=[listing.pk]))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert (listing.status, listing.supply_price_cny) == (S.COMPLIANCE_REVIEW, Decimal("17.80"))
    page = text(signed_in.get(response.url))
    assert "You accepted 17.80 CNY" in page
    assert "Waiting for compliance review." in page
    # Nothing left to accept: a message, not a 500.
    again = signed_in.post(reverse("portal:listing_accept_counter", args=[listing.pk]))
    assert again.status_code == 302
    assert "no open price round" in text(signed_in.get(again.url))


def test_withdrawing_goes_back_to_draft(signed_in, member):
    listing = ListingFactory(supplier=member.supplier)
    price_propose(listing, price="20.00", actor=member.user)
    response = signed_in.post(reverse("portal:listing_withdraw", args=[listing.pk]))
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.status == S.DRAFT
    assert listing.price_rounds.get().status == "withdrawn"
    assert 'data-testid="price-form"' in text(signed_in.get(response.url))


def test_the_actions_only_take_post(signed_in, member):
    listing = ListingFactory(supplier=member.supplier)
    for name in ("listing_price", "listing_accept_counter", "listing_withdraw", "listing_stock"):
        assert signed_in.get(reverse(f"portal:{name}", args=[listing.pk])).status_code == 405


def test_the_detail_shows_retail_prices_and_sellable_markets(signed_in, member, operator_user):
    listing = ListingFactory(supplier=member.supplier, mode="semi_managed", status=S.APPROVED)
    retail_price_set(listing, market="US", amount="12.99", actor=operator_user)
    retail_price_set(listing, market="UK", amount="10.49", actor=operator_user)
    OverseasStock.objects.create(listing=listing, market="US", quantity=40)
    listing_transition(listing, S.LIVE, actor=operator_user)
    page = text(signed_in.get(reverse("portal:listing_detail", args=[listing.pk])))
    prices = re.search(r'data-testid="retail-prices">(.*?)</table>', page, re.S).group(1)
    assert "12.99 USD" in prices
    assert "10.49 GBP" in prices
    sellable = re.search(r'data-testid="sellable">(.*?)</p>', page, re.S).group(1)
    assert "US" in sellable
    assert "UK" not in sellable
    assert 'name="amount"' not in page  # read-only for the supplier


def test_reporting_overseas_stock_per_market(signed_in, member, operator_user):
    listing = ListingFactory(supplier=member.supplier, mode="semi_managed")
    OverseasStock.objects.create(listing=listing, market="EU", quantity=5)
    page = text(signed_in.get(reverse("portal:listing_detail", args=[listing.pk])))
    assert 'data-testid="stock-form"' in page
    assert 'name="EU" value="5"' in page
    response = signed_in.post(
        reverse("portal:listing_stock", args=[listing.pk]),
        {"US": "120", "EU": "5", "UK": "0", "CA": "", "AU": "", "JP": ""},
    )
    assert response.status_code == 302
    assert dict(listing.overseas_stock.values_list("market", "quantity")) == {
        "US": 120,
        "EU": 5,
        "UK": 0,
    }
    assert "Stock reported for US, UK." in text(signed_in.get(response.url))
    bad = signed_in.post(reverse("portal:listing_stock", args=[listing.pk]), {"US": "-4"})
    assert bad.status_code == 200
    assert 'data-field="US"' in text(bad)
    assert listing.overseas_stock.get(market="US").quantity == 120


def test_a_fully_managed_listing_has_no_stock_form(signed_in, member):
    listing = ListingFactory(supplier=member.supplier)
    page = text(signed_in.get(reverse("portal:listing_detail", args=[listing.pk])))
    assert 'data-testid="stock-form"' not in page
    response = signed_in.post(reverse("portal:listing_stock", args=[listing.pk]), {"US": "3"})
    assert response.status_code == 200
    assert "Only semi-managed listings report overseas stock." in text(response)
    assert not OverseasStock.objects.exists()


# --- Tenders ---------------------------------------------------------------------------------


def test_tenders_list_and_detail_show_the_spec_and_china_time(signed_in):
    closes = datetime(2031, 5, 4, 2, 30, tzinfo=UTC)
    tender = TenderFactory(
        closes_at=closes,
        product__title_en="Plush bear 30 cm",
        product__attributes={"filling": "PP cotton"},
        quantity=800,
        required_test="EN 71-3",
    )
    listing_page = text(signed_in.get(reverse("portal:tenders")))
    assert "Plush bear 30 cm" in listing_page
    assert "2031-05-04 10:30" in listing_page  # 02:30 UTC is 10:30 in China
    detail = signed_in.get(reverse("portal:tender_detail", args=[tender.pk]))
    page = text(detail)
    assert detail.status_code == 200
    assert "filling=PP cotton" in page
    assert "EN 71-3" in page
    assert "800" in page
    assert "2031-05-04 10:30" in page
    assert 'data-countdown="2031-05-04T10:30:00+08:00"' in page
    assert 'data-testid="bid-form"' in page


def test_placing_and_lowering_a_bid_never_raising_it(signed_in, member):
    tender = TenderFactory()
    url = reverse("portal:tender_detail", args=[tender.pk])
    bid = {"unit_price": "21.40", "lead_time_days": "20", "capacity": "1000"}
    assert signed_in.post(url, bid).status_code == 302
    page = text(signed_in.get(url))
    assert "Your sealed bid is 21.40 CNY a unit." in page
    assert 'value="21.40"' in page
    raised = signed_in.post(url, {**bid, "unit_price": "25.00"})
    assert raised.status_code == 200
    assert 'data-field="unit_price"' in text(raised)
    assert signed_in.post(url, {**bid, "unit_price": "19.99"}).status_code == 302
    assert Bid.objects.get().unit_price == Decimal("19.99")
    bad = signed_in.post(url, {**bid, "capacity": "0"})
    assert 'data-field="capacity"' in text(bad)


def test_after_closing_the_winner_and_loser_see_their_outcome(client, member):
    tender = TenderFactory(quantity=100)
    rival = MembershipFactory(role="owner")
    bid_place(tender, actor=member.user, unit_price="20.00", lead_time_days=10, capacity=500)
    bid_place(tender, actor=rival.user, unit_price="18.00", lead_time_days=10, capacity=500)
    with time_machine.travel(tender.closes_at + timedelta(minutes=1)):
        tenders_close_due()
    url = reverse("portal:tender_detail", args=[tender.pk])
    client.force_login(member.user)
    page = text(client.get(url))
    assert "Your bid did not win this tender." in page
    assert 'data-testid="bid-form"' not in page
    client.force_login(rival.user)
    page = text(client.get(url))
    assert "You won this tender at your bid." in page
    listing = Listing.objects.get(supplier=rival.supplier)
    assert reverse("portal:listing_detail", args=[listing.pk]) in page


def test_a_tender_past_its_time_takes_no_bid(signed_in, member):
    tender = TenderFactory()
    bid_place(tender, actor=member.user, unit_price="5.00", lead_time_days=3, capacity=1000)
    unseen = TenderFactory()
    url = reverse("portal:tender_detail", args=[tender.pk])
    with time_machine.travel(tender.closes_at + timedelta(seconds=5)):
        page = text(signed_in.get(url))
        assert 'data-testid="bid-form"' not in page
        assert "the result follows shortly" in page
        response = signed_in.post(
            url, {"unit_price": "1.00", "lead_time_days": "1", "capacity": "1000"}
        )
        # Past its time and never bid on: no longer offered.
        assert signed_in.get(reverse("portal:tender_detail", args=[unseen.pk])).status_code == 404
    assert response.status_code == 200
    assert "This tender is closed." in text(response)
    assert Bid.objects.get().unit_price == Decimal("5.00")


def test_a_supplier_not_active_sees_no_bid_form(client):
    member = MembershipFactory(role="owner", supplier__status="suspended")
    tender = TenderFactory()
    client.force_login(member.user)
    # Not active: only tenders it has bid on are visible at all.
    assert client.get(reverse("portal:tender_detail", args=[tender.pk])).status_code == 404
    assert "No tenders for you" in text(client.get(reverse("portal:tenders")))


# --- Bulk import -----------------------------------------------------------------------------

IMPORT_HEADER = (
    "title_en,title_zh,category,hs_code,weight_g,length_cm,width_cm,height_cm,"
    "declared_value_usd,attributes,mode,is_jit,proposed_price\n"
)


def csv_upload(*lines: str) -> SimpleUploadedFile:
    body = IMPORT_HEADER + "".join(line + "\n" for line in lines)
    return SimpleUploadedFile("catalogue.csv", body.encode("utf-8-sig"), "text/csv")


GOOD = "Kite,风筝,toys,950300,200,80,60,2,3.20,colour=red,fully_managed,no,9.90"
GOOD2 = "Yo-yo,悠悠球,toys,950300,60,6,6,3,1.10,,semi_managed,no,"
BAD = "Top,陀螺,toys,95,60,6,6,3,1.10,,fully_managed,no,"


def test_import_preview_then_confirm_then_result(signed_in, member):
    assert signed_in.get(reverse("portal:catalogue_import")).status_code == 200
    preview = signed_in.post(reverse("portal:catalogue_import"), {"file": csv_upload(GOOD, GOOD2)})
    page = text(preview)
    assert preview.status_code == 200
    assert "All 2 rows are ready to import." in page
    assert "Kite" in page
    assert "悠悠球" in page
    assert not Product.objects.exists()  # only a preview
    token = signed_in.session["catalogue_import"]["token"]
    assert f'value="{token}"' in page
    confirm = page[page.index('data-testid="import-confirm"') :]
    assert "disabled" not in confirm[: confirm.index("</form>")]
    done = signed_in.post(reverse("portal:catalogue_import_confirm"), {"token": token})
    assert done.url == reverse("portal:catalogue_import_done")
    assert Product.objects.filter(owner=member.supplier).count() == 2
    assert Listing.objects.filter(supplier=member.supplier).count() == 2
    assert PriceRound.objects.get().proposed_price == Decimal("9.90")
    result = text(signed_in.get(done.url))
    assert "2 products and their listings imported; 1 price proposals sent." in result
    assert "Kite" in result
    assert "Yo-yo" in result
    # The rows are gone from the session: a second confirmation imports nothing.
    again = signed_in.post(reverse("portal:catalogue_import_confirm"), {"token": token})
    assert again.url == reverse("portal:catalogue_import")
    assert Product.objects.count() == 2


def test_an_import_with_a_bad_row_shows_it_and_cannot_be_confirmed(signed_in):
    response = signed_in.post(
        reverse("portal:catalogue_import"), {"file": csv_upload(GOOD, BAD, GOOD2)}
    )
    page = text(response)
    assert response.status_code == 200
    assert "Row 3, hs_code:" in page
    confirm = page[page.index('data-testid="import-confirm"') :]
    assert " disabled" in confirm[: confirm.index("</form>")]
    assert "catalogue_import" not in signed_in.session
    forced = signed_in.post(reverse("portal:catalogue_import_confirm"), {"token": "guess"})
    assert forced.status_code == 302
    assert not Product.objects.exists()


def test_an_import_file_refused_as_a_whole_is_said_beside_the_field(signed_in):
    upload = SimpleUploadedFile("x.csv", b"name,price\nKite,3\n", "text/csv")
    response = signed_in.post(reverse("portal:catalogue_import"), {"file": upload})
    assert response.status_code == 200
    assert 'data-field="file"' in text(response)
    assert "Unknown: name, price" in text(response)
    empty = signed_in.post(reverse("portal:catalogue_import"), {})
    assert 'data-field="file"' in text(empty)


def test_a_confirmation_sent_twice_at_once_imports_once(signed_in, member):
    from django.core.cache import cache

    signed_in.post(reverse("portal:catalogue_import"), {"file": csv_upload(GOOD)})
    token = signed_in.session["catalogue_import"]["token"]
    # The other request of the double click holds the guard.
    cache.add(f"portal:catalogue-import:{token}", 1, 60)
    response = signed_in.post(reverse("portal:catalogue_import_confirm"), {"token": token})
    assert response.status_code == 302
    assert "already being imported" in text(signed_in.get(response.url))
    assert not Product.objects.exists()


def test_a_commit_refused_at_confirmation_shows_the_rows_again(signed_in, member):
    from catalogue.models import Category

    signed_in.post(reverse("portal:catalogue_import"), {"file": csv_upload(GOOD, GOOD2)})
    token = signed_in.session["catalogue_import"]["token"]
    Category.objects.filter(code="toys").delete()
    response = signed_in.post(reverse("portal:catalogue_import_confirm"), {"token": token})
    assert response.status_code == 200
    assert "Nothing was imported: row 2, category" in text(response)
    assert not Product.objects.exists()


def test_the_import_template_downloads(signed_in):
    response = signed_in.get(reverse("portal:catalogue_import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode("utf-8-sig").startswith("title_en,title_zh,category")


def test_the_done_page_without_an_import_goes_back(signed_in):
    response = signed_in.get(reverse("portal:catalogue_import_done"))
    assert response.url == reverse("portal:catalogue_import")


# --- Navigation ------------------------------------------------------------------------------


def test_the_portal_menu_links_the_catalogue_and_tenders(signed_in):
    page = text(signed_in.get(reverse("portal:listings")))
    for name in ("products", "listings", "tenders"):
        assert f'href="{reverse(f"portal:{name}")}"' in page
    assert re.search(
        rf'<a href="{reverse("portal:listings")}" aria-current="page">Listings</a>', page
    )
