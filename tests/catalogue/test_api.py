"""The catalogue API: scoping (a supplier never reads another supplier's listings, products or
bids), scopes (403 naming the scope), sealed bids, filters, the error body, cursor pages and
constant query counts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalogue.models import Listing, PriceRound, Tender
from catalogue.services.listings import overseas_stock_report, retail_price_set, sellable_markets
from catalogue.services.prices import price_counter, price_round_open
from catalogue.services.tenders import bid_place, tender_close
from marketplace.models import Event
from tests.api_support import assert_error, bearer, walk
from tests.factories.accounts import api_client, supplier_token
from tests.factories.catalogue import (
    CategoryFactory,
    ListingFactory,
    ProductFactory,
    TenderFactory,
)
from tests.factories.suppliers import MembershipFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def session(user) -> APIClient:
    caller = APIClient()
    caller.force_login(user)
    return caller


@pytest.fixture
def integrator():
    _client, plain = api_client(scopes=["read"])
    return bearer(plain)


@pytest.fixture
def supplier_api(supplier_user):
    return bearer(supplier_token(supplier_user))


@pytest.fixture
def rival_api(other_supplier_user):
    return bearer(supplier_token(other_supplier_user))


@pytest.fixture
def own(supplier_user):
    return supplier_user.supplier_membership.supplier


@pytest.fixture
def rival(other_supplier_user):
    return other_supplier_user.supplier_membership.supplier


def ids(rows: list[dict]) -> set[int]:
    return {row["id"] for row in rows}


def live(operator, markets=("US",), **fields) -> Listing:
    listing = ListingFactory(status="live", **fields)
    for market in markets:
        retail_price_set(listing, market=market, amount="19.99", actor=operator)
    return listing


# --- Categories -------------------------------------------------------------------------------


def test_categories_read_as_a_tree(integrator, supplier_api):
    toys = CategoryFactory(code="toys", name_en="Toys")
    blocks = CategoryFactory(code="toys-blocks", parent=toys)
    magnetic = CategoryFactory(code="toys-blocks-magnetic", parent=blocks, risk_level="low")
    for caller in (integrator, supplier_api):
        rows = {row["code"]: row for row in caller.get("/api/v1/categories/").json()}
        assert (rows["toys"]["parent"], rows["toys"]["depth"], rows["toys"]["path"]) == (
            None,
            0,
            ["toys"],
        )
        assert rows["toys-blocks-magnetic"]["path"] == [
            "toys",
            "toys-blocks",
            "toys-blocks-magnetic",
        ]
        assert rows["toys-blocks-magnetic"]["parent"] == blocks.pk
        assert rows["toys-blocks-magnetic"]["depth"] == 2
        assert "price_band_min" not in rows["toys"]  # the operators' expectation, not shared
    detail = integrator.get(f"/api/v1/categories/{magnetic.pk}/").json()
    assert (detail["risk_level"], detail["depth"]) == ("low", 2)
    assert_error(integrator.get("/api/v1/categories/999999/"), 404, "not_found")


def test_categories_need_credentials(api):
    assert_error(api.get("/api/v1/categories/"), 401, "not_authenticated")


def test_category_queries_do_not_grow(integrator, django_assert_max_num_queries):
    parent = CategoryFactory()
    with django_assert_max_num_queries(10) as few:
        integrator.get("/api/v1/categories/")
    for _ in range(20):
        parent = CategoryFactory(parent=parent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(integrator.get("/api/v1/categories/").json()) == 21


# --- Products ---------------------------------------------------------------------------------


def test_a_supplier_reads_its_own_products_and_those_it_lists(supplier_api, own, rival):
    mine = ProductFactory(owner=own)
    spec = ProductFactory(owner=None)  # a tender's specification it won
    ListingFactory(supplier=own, product=spec)
    theirs = ProductFactory(owner=rival)
    assert ids(walk(supplier_api, "/api/v1/products/")) == {mine.pk, spec.pk}
    assert supplier_api.get(f"/api/v1/products/{mine.pk}/").status_code == 200
    assert_error(supplier_api.get(f"/api/v1/products/{theirs.pk}/"), 404, "not_found")


def test_integrators_and_staff_read_every_product(integrator, operator, own, rival):
    products = {ProductFactory(owner=own).pk, ProductFactory(owner=rival).pk}
    for caller in (integrator, session(operator)):
        assert ids(walk(caller, "/api/v1/products/")) == products


def test_product_filters(integrator):
    toys = CategoryFactory(code="toys")
    blocks = CategoryFactory(code="toys-blocks", parent=toys)
    kit = ProductFactory(category=blocks, hs_code="95030090", title_en="Robot kit")
    ProductFactory(category=CategoryFactory(code="home"), hs_code="392690", title_zh="收纳盒")

    def found(**query) -> list[str]:
        rows = integrator.get("/api/v1/products/", query).json()["results"]
        return [row["hs_code"] for row in rows]

    assert found(category=toys.pk) == ["95030090"]  # the subcategory's product too
    assert found(hs_code="9503") == ["95030090"]
    assert found(search="robot") == ["95030090"]
    assert found(search="收纳") == ["392690"]
    body = integrator.get(f"/api/v1/products/{kit.pk}/").json()
    assert body["category"] == blocks.pk
    assert "reference_price_cny" not in body  # the platform's benchmark stays internal
    bad = assert_error(integrator.get("/api/v1/products/", {"category": "toys"}), 400, "invalid")
    assert list(bad["fields"]) == ["category"]


def test_product_queries_do_not_grow(integrator, django_assert_max_num_queries):
    ProductFactory()
    with django_assert_max_num_queries(10) as few:
        integrator.get("/api/v1/products/")
    ProductFactory.create_batch(25)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(integrator.get("/api/v1/products/").json()["results"]) == 26


# --- Listings ---------------------------------------------------------------------------------


def test_a_supplier_reads_its_own_listings_in_every_state_with_the_supply_side(
    supplier_api, own, rival, operator
):
    draft = ListingFactory(supplier=own, status="draft")
    selling = live(operator, supplier=own, supply_price_cny="12.50")
    other = live(operator, supplier=rival)
    rows = {row["id"]: row for row in walk(supplier_api, "/api/v1/listings/")}
    assert set(rows) == {draft.pk, selling.pk}
    assert rows[selling.pk]["supply"]["supply_price_cny"] == "12.50"
    assert rows[draft.pk]["supply"]["next_step"].startswith("Propose a supply price")
    assert_error(supplier_api.get(f"/api/v1/listings/{other.pk}/"), 404, "not_found")
    # Naming the other supplier finds nothing rather than its listings.
    assert supplier_api.get("/api/v1/listings/", {"supplier": rival.pk}).json()["results"] == []


def test_integrators_read_live_listings_without_supply_prices(integrator, operator):
    selling = live(operator, markets=("US", "UK"), supply_price_cny="12.34")
    paused = ListingFactory(status="paused", supply_price_cny="12.34")
    response = integrator.get("/api/v1/listings/")
    [row] = response.json()["results"]
    assert row["id"] == selling.pk
    assert row["supply"] is None
    assert row["sellable_markets"] == ["UK", "US"]
    assert [(p["market"], p["currency"], p["amount"]) for p in row["retail_prices"]] == [
        ("UK", "GBP", "19.99"),
        ("US", "USD", "19.99"),
    ]
    assert "12.34" not in response.content.decode()
    assert "supply_price" not in response.content.decode()
    assert_error(integrator.get(f"/api/v1/listings/{paused.pk}/"), 404, "not_found")
    detail = integrator.get(f"/api/v1/listings/{selling.pk}/")
    assert detail.json()["supply"] is None
    assert "12.34" not in detail.content.decode()


@pytest.mark.parametrize("role", ["operator", "compliance_officer", "finance_user"])
def test_staff_who_may_view_listings_read_all_of_them(request, role, operator):
    listings = {ListingFactory(status="draft").pk, live(operator).pk}
    rows = walk(session(request.getfixturevalue(role)), "/api/v1/listings/")
    assert ids(rows) == listings
    assert all(row["supply"] is not None for row in rows)


def test_staff_without_a_role_read_no_listings():
    from tests.factories.accounts import UserFactory

    ListingFactory()
    caller = session(UserFactory(is_staff=True))
    assert caller.get("/api/v1/listings/").json()["results"] == []


def test_sellable_markets_follow_the_listing_rule(integrator, operator):
    semi = live(operator, markets=("US", "UK", "JP"), mode="semi_managed")
    overseas_stock_report(semi, market="US", quantity=3, actor=None)
    overseas_stock_report(semi, market="UK", quantity=0, actor=None)
    overseas_stock_report(semi, market="AU", quantity=9, actor=None)  # stocked but not priced
    full = live(operator, markets=("EU",))
    rows = {row["id"]: row for row in walk(integrator, "/api/v1/listings/")}
    for listing in (semi, full):
        listing.refresh_from_db()
        assert rows[listing.pk]["sellable_markets"] == sellable_markets(listing)
    assert rows[semi.pk]["sellable_markets"] == ["US"]

    def in_market(market: str) -> set[int]:
        return ids(integrator.get("/api/v1/listings/", {"market": market}).json()["results"])

    assert in_market("US") == {semi.pk}
    assert in_market("EU") == {full.pk}
    assert in_market("UK") == set()
    assert in_market("AU") == set()


def test_listing_filters(operator):
    toys = CategoryFactory(code="toys")
    blocks = CategoryFactory(code="toys-blocks", parent=toys)
    supplier = SupplierFactory(jit_status="enrolled")
    brick = live(operator, product__category=blocks)
    jit = ListingFactory(status="live", is_jit=True, supplier=supplier)
    semi = ListingFactory(status="draft", mode="semi_managed", supplier=supplier)
    caller = session(operator)

    def found(**query) -> set[int]:
        response = caller.get("/api/v1/listings/", query)
        assert response.status_code == 200, response.content
        return ids(response.json()["results"])

    assert found(status="live") == {brick.pk, jit.pk}
    assert found(mode="semi_managed") == {semi.pk}
    assert found(is_jit="true") == {jit.pk}
    assert found(supplier=supplier.pk) == {jit.pk, semi.pk}
    assert found(category=toys.pk) == {brick.pk}
    assert found(market="US") == {brick.pk}
    for field, value in [("status", "selling"), ("market", "XX"), ("supplier", "abc")]:
        body = assert_error(caller.get("/api/v1/listings/", {field: value}), 400, "invalid")
        assert list(body["fields"]) == [field]


def test_listing_cursor_pages_walk_every_row_once(integrator, operator):
    for _ in range(7):
        live(operator)
    rows = walk(integrator, "/api/v1/listings/?page_size=3")
    assert len(rows) == len(ids(rows)) == 7


def test_listing_queries_do_not_grow(
    integrator, supplier_api, own, operator, django_assert_max_num_queries
):
    def semi(**fields):
        listing = live(operator, markets=("US", "UK"), mode="semi_managed", **fields)
        overseas_stock_report(listing, market="US", quantity=4, actor=None)
        return listing

    semi(supplier=own)
    for caller in (integrator, supplier_api):
        with django_assert_max_num_queries(12) as few:
            caller.get("/api/v1/listings/")
        baseline = len(few.captured_queries)
        for _ in range(12):
            semi(supplier=own)
        with django_assert_max_num_queries(baseline):
            rows = caller.get("/api/v1/listings/").json()["results"]
        assert all(row["sellable_markets"] == ["US"] for row in rows)


# --- Overseas stock ---------------------------------------------------------------------------


def stock(caller, listing, market="US", quantity=5):
    return caller.post(
        f"/api/v1/listings/{listing.pk}/overseas-stock/",
        {"market": market, "quantity": quantity},
        format="json",
    )


def test_a_seller_reports_overseas_stock_and_the_listing_follows_it(
    supplier_api, supplier_user, own, operator
):
    listing = live(operator, markets=("US",), supplier=own, mode="semi_managed")
    overseas_stock_report(listing, market="US", quantity=0, actor=None)
    listing.refresh_from_db()
    assert listing.status == "paused"
    response = stock(supplier_api, listing, "US", 12)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["sellable_markets"]) == ("live", ["US"])
    assert [(s["market"], s["quantity"]) for s in body["supply"]["overseas_stock"]] == [("US", 12)]
    assert listing.overseas_stock.get().reported_by == supplier_user
    body = stock(supplier_api, listing, "US", 0).json()
    assert (body["status"], body["supply"]["paused_for_stock"]) == ("paused", True)


def test_overseas_stock_refusals(supplier_api, own, rival, integrator):
    semi = ListingFactory(supplier=own, mode="semi_managed")
    full = ListingFactory(supplier=own)
    theirs = ListingFactory(supplier=rival, mode="semi_managed")
    assert_error(stock(supplier_api, full), 422, "not_semi_managed")
    assert list(
        assert_error(stock(supplier_api, semi, quantity=-1), 422, "invalid_quantity")["fields"]
    ) == ["quantity"]
    assert list(assert_error(stock(supplier_api, semi, market="XX"), 400, "invalid")["fields"]) == [
        "market"
    ]
    assert_error(stock(supplier_api, theirs), 404, "not_found")
    body = assert_error(stock(integrator, semi), 403, "permission_denied")
    assert "`supplier`" in body["message"]
    assert not theirs.overseas_stock.exists()
    assert not semi.overseas_stock.exists()


# --- Price rounds -----------------------------------------------------------------------------


def rounds_url(listing, action=""):
    return f"/api/v1/listings/{listing.pk}/price-rounds/{action}"


def test_a_supplier_proposes_and_accepts_a_counter_offer(
    supplier_api, supplier_user, own, operator
):
    listing = ListingFactory(supplier=own)
    response = supplier_api.post(rounds_url(listing), {"price": "20.00", "note": "ABS"})
    assert response.status_code == 201, response.content
    assert (response.json()["number"], response.json()["status"]) == (1, "proposed")
    listing.refresh_from_db()
    assert listing.status == "submitted"
    again = assert_error(
        supplier_api.post(rounds_url(listing), {"price": "19.00"}), 409, "round_open"
    )
    assert list(again["fields"]) == ["price"]
    assert_error(supplier_api.post(rounds_url(listing, "accept-counter/")), 409, "no_counter")

    price_counter(price_round_open(listing), price="17.50", actor=operator, note="The band")
    [round_] = supplier_api.get(rounds_url(listing)).json()
    assert (round_["status"], round_["counter_price"], round_["operator_note"]) == (
        "countered",
        "17.50",
        "The band",
    )
    response = supplier_api.post(rounds_url(listing, "accept-counter/"))
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["agreed_price"]) == ("accepted", "17.50")
    listing.refresh_from_db()
    assert (listing.status, listing.supply_price_cny) == ("compliance_review", Decimal("17.50"))
    assert Event.objects.get(kind="listing.price_agreed").actor == supplier_user


def test_a_supplier_withdraws_and_every_round_is_kept(supplier_api, own):
    listing = ListingFactory(supplier=own)
    supplier_api.post(rounds_url(listing), {"price": "20.00"})
    response = supplier_api.post(rounds_url(listing, "withdraw/"))
    assert response.json()["status"] == "withdrawn"
    listing.refresh_from_db()
    assert listing.status == "draft"
    assert supplier_api.post(rounds_url(listing), {"price": "18.00"}).status_code == 201
    rounds = supplier_api.get(rounds_url(listing)).json()
    assert [(r["number"], r["status"], r["proposed_price"]) for r in rounds] == [
        (1, "withdrawn", "20.00"),
        (2, "proposed", "18.00"),
    ]
    assert_error(
        supplier_api.post(rounds_url(ListingFactory(supplier=own), "withdraw/")),
        409,
        "no_open_round",
    )


@pytest.mark.parametrize(("price", "status"), [("abc", 400), ("1.001", 400), ("0", 422)])
def test_a_bad_proposal_names_the_price(supplier_api, own, price, status):
    listing = ListingFactory(supplier=own)
    response = supplier_api.post(rounds_url(listing), {"price": price})
    assert response.status_code == status
    assert list(response.json()["fields"]) == ["price"]
    assert not PriceRound.objects.exists()


def test_price_rounds_are_the_listing_suppliers_only(supplier_api, rival, integrator, operator):
    theirs = ListingFactory(supplier=rival)
    for call in (
        lambda: supplier_api.get(rounds_url(theirs)),
        lambda: supplier_api.post(rounds_url(theirs), {"price": "10.00"}),
        lambda: supplier_api.post(rounds_url(theirs, "accept-counter/")),
        lambda: supplier_api.post(rounds_url(theirs, "withdraw/")),
    ):
        assert_error(call(), 404, "not_found")
    for caller in (integrator, session(operator)):
        body = assert_error(caller.get(rounds_url(theirs)), 403, "permission_denied")
        assert "`supplier`" in body["message"]
    assert not PriceRound.objects.exists()


# --- Tenders ----------------------------------------------------------------------------------


def bid(caller, tender, price, method="post", **fields):
    call = caller.post if method == "post" else caller.put
    body = {"unit_price": price, "lead_time_days": 14, "capacity": 1000, **fields}
    return call(f"/api/v1/tenders/{tender.pk}/bid/", body, format="json")


def test_a_supplier_bids_lowers_and_never_raises(supplier_api, supplier_user):
    tender = TenderFactory()
    response = bid(supplier_api, tender, "12.40")
    assert response.status_code == 201, response.content
    assert set(response.json()) == {
        "id",
        "unit_price",
        "lead_time_days",
        "capacity",
        "placed_at",
        "updated_at",
    }
    lowered = bid(supplier_api, tender, "11.90", method="put", lead_time_days=10)
    assert lowered.status_code == 200
    assert (lowered.json()["unit_price"], lowered.json()["lead_time_days"]) == ("11.90", 10)
    raised = assert_error(bid(supplier_api, tender, "13.00"), 422, "bid_raised")
    assert list(raised["fields"]) == ["unit_price"]
    body = supplier_api.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert body["my_bid"]["unit_price"] == "11.90"
    assert body["won"] is None


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"unit_price": "cheap"}, 400, "unit_price"),
        ({"unit_price": "0"}, 422, "unit_price"),
        ({"capacity": 0}, 422, "capacity"),
        ({"lead_time_days": "soon"}, 400, "lead_time_days"),
    ],
)
def test_a_bad_bid_names_the_field(supplier_api, fields, status, field):
    tender = TenderFactory()
    response = bid(supplier_api, tender, fields.pop("unit_price", "10.00"), **fields)
    assert response.status_code == status
    assert list(response.json()["fields"]) == [field]
    assert not tender.bids.exists()


def test_bids_are_sealed_from_other_suppliers_on_every_endpoint(
    supplier_api, rival_api, rival, operator
):
    tender = TenderFactory()
    ListingFactory(supplier=rival, product=tender.product)
    assert bid(rival_api, tender, "77.77").status_code == 201
    assert bid(supplier_api, tender, "88.88").status_code == 201
    own_views = [
        supplier_api.get("/api/v1/tenders/"),
        supplier_api.get(f"/api/v1/tenders/{tender.pk}/"),
        supplier_api.get("/api/v1/listings/"),
        supplier_api.get("/api/v1/products/"),
        bid(supplier_api, tender, "88.00"),
    ]
    for response in own_views:
        assert response.status_code in (200, 201)
        assert "77.77" not in response.content.decode()
        body = response.json()
        for row in body.get("results", [body]):
            assert not {"bids", "bid_count", "award_explanation"} & set(row)
    detail = supplier_api.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert detail["my_bid"]["unit_price"] == "88.00"

    # After closing: still only one's own bid, and whether it won.
    Tender.objects.filter(pk=tender.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    tender_close(tender)
    mine = supplier_api.get(f"/api/v1/tenders/{tender.pk}/")
    theirs = rival_api.get(f"/api/v1/tenders/{tender.pk}/").json()
    assert "77.77" not in mine.content.decode()
    assert (mine.json()["won"], theirs["won"]) == (False, True)
    assert theirs["my_bid"]["unit_price"] == "77.77"
    assert_error(bid(supplier_api, tender, "80.00"), 409, "tender_closed")


def test_tenders_are_for_supplier_users(integrator, operator):
    tender = TenderFactory()
    for caller in (integrator, session(operator)):
        for response in (
            caller.get("/api/v1/tenders/"),
            caller.get(f"/api/v1/tenders/{tender.pk}/"),
            bid(caller, tender, "10.00"),
        ):
            body = assert_error(response, 403, "permission_denied")
            assert "`supplier`" in body["message"]
    assert not tender.bids.exists()


def test_a_supplier_sees_open_tenders_and_those_it_bid_on(supplier_api):
    open_ = TenderFactory()
    bid_on = TenderFactory()
    bid(supplier_api, bid_on, "10.00")
    missed = TenderFactory()
    for tender in (bid_on, missed):
        Tender.objects.filter(pk=tender.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
        tender_close(tender)
    rows = walk(supplier_api, "/api/v1/tenders/")
    assert ids(rows) == {open_.pk, bid_on.pk}
    assert_error(supplier_api.get(f"/api/v1/tenders/{missed.pk}/"), 404, "not_found")
    assert_error(bid(supplier_api, missed, "9.00"), 404, "not_found")
    assert ids(supplier_api.get("/api/v1/tenders/", {"status": "awarded"}).json()["results"]) == {
        bid_on.pk
    }
    body = supplier_api.get(f"/api/v1/tenders/{bid_on.pk}/").json()
    assert (body["status"], body["won"]) == ("awarded", True)


def test_tender_queries_do_not_grow(supplier_api, django_assert_max_num_queries):
    bid(supplier_api, TenderFactory(), "10.00")
    with django_assert_max_num_queries(12) as few:
        supplier_api.get("/api/v1/tenders/")
    baseline = len(few.captured_queries)
    for n in range(12):
        tender = TenderFactory()
        if n % 2:
            bid(supplier_api, tender, "10.00")
        MembershipFactory(role="owner")  # other suppliers exist, and bid
        bid_place(
            tender,
            actor=MembershipFactory(role="owner").user,
            unit_price="9.00",
            lead_time_days=5,
            capacity=900,
        )
    with django_assert_max_num_queries(baseline):
        rows = supplier_api.get("/api/v1/tenders/").json()["results"]
    assert len(rows) == 13
    assert {row["my_bid"]["unit_price"] for row in rows if row["my_bid"]} == {"10.00"}


# --- The schema -------------------------------------------------------------------------------


def test_the_schema_documents_the_catalogue_and_its_errors(api):
    from django.core.management import call_command

    call_command("spectacular", validate=True, fail_on_warn=True, file="/dev/null")
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/categories/",
        "/api/v1/products/",
        "/api/v1/listings/",
        "/api/v1/listings/{id}/overseas-stock/",
        "/api/v1/listings/{id}/price-rounds/",
        "/api/v1/listings/{id}/price-rounds/accept-counter/",
        "/api/v1/listings/{id}/price-rounds/withdraw/",
        "/api/v1/tenders/",
        "/api/v1/tenders/{id}/",
        "/api/v1/tenders/{id}/bid/",
    ):
        assert path in paths, path
    propose = paths["/api/v1/listings/{id}/price-rounds/"]["post"]["responses"]
    assert propose["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    listing_params = {p["name"] for p in paths["/api/v1/listings/"]["get"]["parameters"]}
    assert {
        "status",
        "mode",
        "is_jit",
        "supplier",
        "category",
        "market",
        "cursor",
    } <= listing_params
    supply = schema["components"]["schemas"]["ListingOutput"]["properties"]["supply"]
    assert {"type": "null"} in supply["oneOf"]


def test_a_quantity_beyond_its_column_is_a_400_naming_it(supplier_api, own):
    semi = ListingFactory(supplier=own, mode="semi_managed")
    for quantity in (2**31, 10**30):
        body = assert_error(stock(supplier_api, semi, quantity=quantity), 400, "invalid")
        assert list(body["fields"]) == ["quantity"]
    assert not semi.overseas_stock.exists()
    assert stock(supplier_api, semi, quantity=2**31 - 1).status_code == 200


def test_a_bid_beyond_its_columns_is_a_400_naming_each_field(supplier_api, own):
    tender = TenderFactory()
    response = supplier_api.post(
        f"/api/v1/tenders/{tender.pk}/bid/",
        {"unit_price": "10.00", "lead_time_days": 2**31, "capacity": 2**40},
        format="json",
    )
    assert set(assert_error(response, 400, "invalid")["fields"]) == {"lead_time_days", "capacity"}


# --- Product pictures -------------------------------------------------------------------------


def _png(size=(640, 480)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "navy").save(out, "PNG")
    return out.getvalue()


def test_the_picture_urls_the_api_gives_resolve_to_the_pictures(
    settings, tmp_path, supplier_user, own, integrator, rival_api
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from catalogue.services.products import product_image_add

    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory(owner=own)
    content = _png()
    image = product_image_add(
        product,
        supplier=own,
        actor=supplier_user,
        upload=SimpleUploadedFile("p.png", content, content_type="image/png"),
    )
    listed = integrator.get(f"/api/v1/products/{product.pk}/").json()["images"]
    assert [row["id"] for row in listed] == [image.pk]
    full = integrator.get(listed[0]["image"])
    assert full.status_code == 200
    assert full["Content-Type"] == "image/png"
    assert b"".join(full.streaming_content) == content
    thumb = integrator.get(listed[0]["thumbnail"], HTTP_ACCEPT="application/json")
    assert thumb["Content-Type"] == "image/jpeg"
    assert b"".join(thumb.streaming_content)[:3] == b"\xff\xd8\xff"
    # Only for those who may see the product, and with a key: media is never public.
    assert APIClient().get(listed[0]["image"]).status_code == 401
    other = ProductFactory()
    assert_error(rival_api.get(listed[0]["image"]), 404, "not_found")
    url = listed[0]["image"].replace(f"/products/{product.pk}/", f"/products/{other.pk}/")
    assert_error(integrator.get(url), 404, "not_found")
    assert_error(integrator.get(listed[0]["image"].replace("/full/", "/other/")), 404, "not_found")
    assert APIClient().get(f"/media/{image.image.name}").status_code == 404
