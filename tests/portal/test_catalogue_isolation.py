"""The catalogue pages read by another supplier: none of this supplier's products, listings,
rounds, pictures or bids show, every id of this supplier's is a 404 (and changes nothing), and a
bid stays sealed on every page, before and after closing. List pages keep a constant number of
queries as rows grow."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalogue.models import Bid, Listing, OverseasStock, PriceRound, Product, ProductImage
from catalogue.services.listings import retail_price_set
from catalogue.services.prices import price_counter, price_propose
from catalogue.services.products import product_image_add
from catalogue.services.tenders import bid_place, tenders_close_due
from marketplace.models import Event
from tests.factories.accounts import UserFactory
from tests.factories.catalogue import (
    CategoryFactory,
    ListingFactory,
    ProductFactory,
    TenderFactory,
)
from tests.factories.suppliers import MembershipFactory

pytestmark = pytest.mark.django_db

SECRETS = [
    "Secret Blocks",
    "秘密积木",
    "SECRET-ATTR",
    "secret supplier note",
    "secret operator note",
    "77.77",  # a proposed price
    "66.66",  # a counter price
    "13.57",  # a sealed bid
    "Secret Semi Kite",
]
PAGES = [
    "portal:products",
    "portal:listings",
    "portal:listing_new",
    "portal:tenders",
    "portal:catalogue_import",
]


def png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "green").save(out, "PNG")
    return SimpleUploadedFile("p.png", out.getvalue(), "image/png")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def secret(db):
    owner = MembershipFactory(role="owner", user__username="secretowner")
    supplier = owner.supplier
    operator = UserFactory(is_staff=True)
    product = ProductFactory(
        owner=supplier,
        title_en="Secret Blocks",
        title_zh="秘密积木",
        attributes={"code": "SECRET-ATTR"},
        category=CategoryFactory(code="toys"),
    )
    image = product_image_add(product, supplier=supplier, actor=owner.user, upload=png())
    listing = ListingFactory(supplier=supplier, product=product)
    round_ = price_propose(listing, price="77.77", actor=owner.user, note="secret supplier note")
    price_counter(round_, price="66.66", actor=operator, note="secret operator note")
    semi = ListingFactory(
        supplier=supplier,
        product=ProductFactory(owner=supplier, title_en="Secret Semi Kite"),
        mode="semi_managed",
    )
    OverseasStock.objects.create(listing=semi, market="US", quantity=9)
    retail_price_set(semi, market="US", amount="45.67", actor=operator)
    tender = TenderFactory(product__title_en="Public tender spec")
    bid_place(tender, actor=owner.user, unit_price="13.57", lead_time_days=11, capacity=9000)
    return {
        "owner": owner,
        "product": product,
        "image": image,
        "listing": listing,
        "semi": semi,
        "tender": tender,
    }


@pytest.fixture(params=["owner", "staff"])
def rival(request, db):
    owner = MembershipFactory(role="owner", user__username="rivalowner")
    if request.param == "owner":
        return owner.user
    return MembershipFactory(supplier=owner.supplier, user__username="rivalclerk").user


def leaked(response) -> list[str]:
    page = response.content.decode()
    return [marker for marker in SECRETS if marker in page]


@pytest.mark.parametrize("name", PAGES)
def test_another_supplier_never_sees_this_suppliers_catalogue(client, secret, rival, name):
    client.force_login(rival)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert leaked(response) == [], name


@pytest.mark.parametrize("name", ["portal:products", "portal:listings", "portal:tenders"])
def test_the_markers_show_to_the_supplier_itself(client, secret, name):
    client.force_login(secret["owner"].user)
    assert leaked(client.get(reverse(name)))


def test_searches_and_filters_do_not_reach_another_supplier(client, secret, rival):
    client.force_login(rival)
    for query in ({"q": "Secret"}, {"q": "秘密"}, {"q": "950300"}):
        assert leaked(client.get(reverse("portal:products"), query)) == []
    for query in ({"status": "price_review"}, {"mode": "semi_managed"}, {"q": "Secret"}):
        assert leaked(client.get(reverse("portal:listings"), query)) == []


def id_requests(secret):
    product, image = secret["product"], secret["image"]
    listing, semi, _tender = secret["listing"], secret["semi"], secret["tender"]
    return [
        ("get", reverse("portal:product_edit", args=[product.pk]), {}),
        ("post", reverse("portal:product_edit", args=[product.pk]), {"title_en": "Mine now"}),
        ("post", reverse("portal:product_image_upload", args=[product.pk]), {"image": png()}),
        ("get", reverse("portal:product_image", args=[product.pk, image.pk, "thumb"]), {}),
        ("get", reverse("portal:product_image", args=[product.pk, image.pk, "full"]), {}),
        ("get", reverse("portal:listing_detail", args=[listing.pk]), {}),
        ("get", reverse("portal:listing_detail", args=[semi.pk]), {}),
        ("post", reverse("portal:listing_price", args=[semi.pk]), {"price": "1.00"}),
        ("post", reverse("portal:listing_accept_counter", args=[listing.pk]), {}),
        ("post", reverse("portal:listing_withdraw", args=[listing.pk]), {}),
        ("post", reverse("portal:listing_stock", args=[semi.pk]), {"US": "0"}),
    ]


def state():
    return (
        list(Product.objects.values_list("pk", "title_en").order_by("pk")),
        list(ProductImage.objects.values_list("pk", flat=True)),
        list(Listing.objects.values_list("pk", "status").order_by("pk")),
        list(PriceRound.objects.values_list("pk", "status").order_by("pk")),
        list(OverseasStock.objects.values_list("market", "quantity")),
        list(Bid.objects.values_list("pk", "unit_price")),
        Event.objects.count(),
    )


def test_every_id_of_this_supplier_is_a_404_for_another(client, secret, rival):
    client.force_login(rival)
    before = state()
    for method, url, data in id_requests(secret):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, response.status_code)
        assert leaked(response) == [], url
    assert state() == before


def test_an_image_id_under_another_product_is_a_404(client, secret):
    """The picture's own product in the address: an id of another product of the same supplier
    does not reach it either."""
    client.force_login(secret["owner"].user)
    other = ProductFactory(owner=secret["owner"].supplier)
    url = reverse("portal:product_image", args=[other.pk, secret["image"].pk, "thumb"])
    assert client.get(url).status_code == 404


def test_unknown_ids_are_404(client, secret):
    client.force_login(secret["owner"].user)
    for name in ("product_edit", "listing_detail", "tender_detail"):
        assert client.get(reverse(f"portal:{name}", args=[999999])).status_code == 404


def test_another_suppliers_product_cannot_be_listed(client, secret, rival):
    ProductFactory(owner=rival.supplier_membership.supplier, title_en="Rival's own")
    client.force_login(rival)
    response = client.post(
        reverse("portal:listing_new"), {"product": secret["product"].pk, "mode": "semi_managed"}
    )
    assert response.status_code == 200
    assert 'data-field="product"' in response.content.decode()
    assert not Listing.objects.filter(supplier__memberships__user=rival).exists()


def test_an_import_preview_is_the_suppliers_own(client, secret, rival):
    """Rows waiting in a session for another supplier (a member who moved) are not imported
    for this one."""
    client.force_login(rival)
    before = state()
    session = client.session
    session["catalogue_import"] = {
        "token": "t",
        "supplier": secret["owner"].supplier_id,
        "name": "x.csv",
        "rows": [{"row": 2, "values": ROW}],
    }
    session.save()
    response = client.post(reverse("portal:catalogue_import_confirm"), {"token": "t"})
    assert response.status_code == 302
    assert state() == before


ROW = {
    "title_en": "Smuggled",
    "title_zh": "走私",
    "category": "toys",
    "hs_code": "950300",
    "weight_g": "1",
    "length_cm": "1",
    "width_cm": "1",
    "height_cm": "1",
    "declared_value_usd": "1",
    "attributes": "",
    "mode": "fully_managed",
    "is_jit": "no",
    "proposed_price": "",
}


def test_another_suppliers_import_result_shows_nothing(client, secret, rival):
    client.force_login(rival)
    session = client.session
    session["catalogue_import_done"] = {
        "name": "x.csv",
        "listings": [secret["listing"].pk, secret["semi"].pk],
        "rounds": 0,
    }
    session.save()
    response = client.get(reverse("portal:catalogue_import_done"))
    assert leaked(response) == []


def test_a_tender_closed_without_a_bid_of_ones_own_is_a_404(client, secret, rival):
    tender = secret["tender"]
    with time_machine.travel(tender.closes_at + timedelta(minutes=1)):
        tenders_close_due()
    client.force_login(rival)
    assert client.get(reverse("portal:tender_detail", args=[tender.pk])).status_code == 404
    assert "Public tender spec" not in client.get(reverse("portal:tenders")).content.decode()


def test_the_catalogue_pages_are_for_members_only(client, secret):
    urls = [reverse(name) for name in PAGES] + [
        reverse("portal:product_new"),
        reverse("portal:tender_detail", args=[secret["tender"].pk]),
        reverse("portal:catalogue_import_template"),
    ]
    for url in urls:
        assert client.get(url).status_code == 302, url
    client.force_login(UserFactory(is_staff=True))
    for url in urls:
        assert client.get(url).status_code == 403, url


# --- Sealed bids -----------------------------------------------------------------------------


def bid_pages(client, tender):
    return [
        client.get(reverse("portal:tenders")),
        client.get(reverse("portal:tender_detail", args=[tender.pk])),
    ]


def test_a_bid_is_sealed_on_every_page_before_and_after_closing(client):
    tender = TenderFactory(quantity=100)
    alpha = MembershipFactory(role="owner", user__username="alpha")
    beta = MembershipFactory(role="owner", user__username="beta")
    gamma = MembershipFactory(role="owner", user__username="gamma")  # does not bid
    bid_place(tender, actor=alpha.user, unit_price="31.11", lead_time_days=17, capacity=4321)
    bid_place(tender, actor=beta.user, unit_price="29.99", lead_time_days=23, capacity=8765)
    alpha_marks = ["31.11", "4321"]
    beta_marks = ["29.99", "8765"]

    def check(user, own, others):
        client.force_login(user)
        for response in bid_pages(client, tender):
            assert response.status_code == 200
            page = response.content.decode()
            assert [mark for mark in others if mark in page] == [], user.username
            assert not re.search(r"\b[0-9]+ (bids|bidders)\b", page), "a bid count shows"
            if "tender" in response.context and response.context.get("bid") is not None:
                assert response.context["bid"].supplier_id == user.supplier_membership.supplier_id
        detail = client.get(reverse("portal:tender_detail", args=[tender.pk]))
        assert [mark for mark in own if mark in detail.content.decode()] == own
        # Not even loaded: the only bid on the tender object is the supplier's own.
        loaded = detail.context["tender"].own_bids
        assert [b.supplier_id for b in loaded] == [user.supplier_membership.supplier_id]

    check(alpha.user, alpha_marks, beta_marks)
    check(beta.user, beta_marks, alpha_marks)
    client.force_login(gamma.user)
    for response in bid_pages(client, tender):
        page = response.content.decode()
        assert [m for m in alpha_marks + beta_marks if m in page] == []

    with time_machine.travel(tender.closes_at + timedelta(minutes=1)):
        tenders_close_due()
    tender.refresh_from_db()
    assert tender.winning_bid.supplier_id == beta.supplier_id
    check(alpha.user, alpha_marks, [*beta_marks, beta.supplier.name_en, "award"])
    check(beta.user, beta_marks, [*alpha_marks, alpha.supplier.name_en])
    client.force_login(alpha.user)
    assert (
        "Your bid did not win this tender."
        in client.get(reverse("portal:tender_detail", args=[tender.pk])).content.decode()
    )


# --- Query counts ----------------------------------------------------------------------------


def test_list_pages_keep_their_query_count_as_rows_grow(
    client, django_assert_max_num_queries, tmp_path
):
    member = MembershipFactory(role="owner")
    supplier = member.supplier
    category = CategoryFactory(code="toys")

    def grow(n):
        for _i in range(n):
            product = ProductFactory(owner=supplier, category=category)
            product_image_add(product, supplier=supplier, actor=member.user, upload=png())
            listing = ListingFactory(supplier=supplier, product=product)
            price_propose(listing, price="10.00", actor=member.user)
            tender = TenderFactory(product=product)
            bid_place(tender, actor=member.user, unit_price="9.00", lead_time_days=3, capacity=900)

    grow(1)
    client.force_login(member.user)
    pages = [reverse(name) for name in ("portal:products", "portal:listings", "portal:tenders")]
    counts = {}
    for url in pages:
        with django_assert_max_num_queries(20) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    grow(12)
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.context["page_obj"].object_list) == 13
