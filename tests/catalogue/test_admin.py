"""The catalogue screens of the admin: every state change goes through an action (or the tender
form, or a listing's retail-price rows) that calls a service; refusals are messages or form
errors; bids are sealed until the tender closes; lists keep a constant number of queries; any
list exports to CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalogue.models import (
    Category,
    Listing,
    ListingPrice,
    PriceRound,
    Product,
    ProductImage,
    Tender,
)
from catalogue.services.listings import overseas_stock_report, retail_price_set
from catalogue.services.prices import price_counter, price_propose
from catalogue.services.tenders import bid_place
from marketplace.models import Event
from suppliers.models import Scorecard
from tests.factories.catalogue import (
    CategoryFactory,
    ListingFactory,
    ProductFactory,
    TenderFactory,
)
from tests.factories.suppliers import MembershipFactory, SupplierFactory, funded_supplier

pytestmark = pytest.mark.django_db

LISTINGS = "/admin/catalogue/listing/"
ROUNDS = "/admin/catalogue/priceround/"
TENDERS = "/admin/catalogue/tender/"
PRODUCTS = "/admin/catalogue/product/"
CATEGORIES = "/admin/catalogue/category/"


def act(client, url, action, rows, **fields):
    response = client.post(
        url,
        {"action": action, "_selected_action": [row.pk for row in rows], **fields},
        follow=True,
    )
    assert response.redirect_chain, response.content.decode()[:500]
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def listing_events(listing, kind="listing.status_changed"):
    return list(
        Event.objects.filter(kind=kind, subject_id=str(listing.pk)).order_by("id"),
    )


def member_of(supplier):
    return MembershipFactory(supplier=supplier, role="staff").user


# --- Listing actions --------------------------------------------------------------------------


def test_start_review_and_approve_compliance_move_listings_and_record_the_actor(
    client, operator, compliance_officer
):
    submitted = ListingFactory(status="submitted")
    in_compliance = ListingFactory(status="compliance_review")
    client.force_login(operator)
    notes = act(client, LISTINGS, "start_review", [submitted], reason="Looking at it")
    assert notes == [("success", "1 listing in price review.")]
    # Compliance officers, not operators, approve compliance (accounts 0010).
    client.force_login(compliance_officer)
    notes = act(client, LISTINGS, "approve_compliance", [in_compliance])
    assert notes == [("success", "1 listing approved.")]
    submitted.refresh_from_db()
    in_compliance.refresh_from_db()
    assert (submitted.status, in_compliance.status) == ("price_review", "approved")
    [event] = listing_events(submitted)
    assert (event.actor, event.reason, event.payload) == (
        operator,
        "Looking at it",
        {"from": "submitted", "to": "price_review"},
    )
    assert listing_events(in_compliance)[0].actor == compliance_officer


def test_an_illegal_move_is_refused_per_listing_and_the_others_go_on(client, compliance_officer):
    draft = ListingFactory(status="draft", product__title_en="Drafty")
    ready = ListingFactory(status="compliance_review")
    client.force_login(compliance_officer)
    notes = act(client, LISTINGS, "approve_compliance", [draft, ready])
    assert ("success", "1 listing approved.") in notes
    [error] = [text for level, text in notes if level == "error"]
    assert error.startswith("Drafty")
    assert "cannot move from Draft to Approved" in error
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert listing_events(draft) == []


def test_publish_needs_a_retail_price_and_pauses_a_listing_without_stock(client, operator):
    unpriced = ListingFactory(status="approved")
    no_stock = ListingFactory(status="approved")
    jit = ListingFactory(status="approved", is_jit=True, supplier__jit_status="enrolled")
    for listing in (no_stock, jit):
        retail_price_set(listing, market="US", amount="19.99", actor=operator)
    client.force_login(operator)
    notes = act(client, LISTINGS, "publish", [unpriced, no_stock, jit])
    assert ("error", f"{unpriced}: Set a retail price in at least one market first.") in notes
    assert (
        "success",
        "2 listings published. 1 of them paused at once for want of stock; it resumes by itself "
        "when stock arrives.",
    ) in notes
    for listing in (unpriced, no_stock, jit):
        listing.refresh_from_db()
    assert (unpriced.status, no_stock.status, jit.status) == ("approved", "paused", "live")
    assert no_stock.paused_for_stock


def test_pause_resume_and_delist_record_the_reason(client, operator):
    listing = ListingFactory(status="live", is_jit=True, supplier__jit_status="enrolled")
    client.force_login(operator)
    assert act(client, LISTINGS, "pause", [listing], reason="Return rate review")[0] == (
        "success",
        "1 listing paused.",
    )
    listing.refresh_from_db()
    assert (listing.status, listing.status_reason) == ("paused", "Return rate review")
    assert not listing.paused_for_stock
    assert act(client, LISTINGS, "resume", [listing])[0] == ("success", "1 listing resumed.")
    listing.refresh_from_db()
    assert listing.status == "live"

    [(level, text)] = act(client, LISTINGS, "delist", [listing])
    assert level == "error"
    assert "Say why the listing is delisted." in text
    listing.refresh_from_db()
    assert listing.status == "live"
    assert act(client, LISTINGS, "delist", [listing], reason="Counterfeit")[0][0] == "success"
    listing.refresh_from_db()
    assert (listing.status, listing.status_reason) == ("delisted", "Counterfeit")
    moves = [(e.payload["to"], e.reason, e.actor) for e in listing_events(listing)]
    assert moves == [
        ("paused", "Return rate review", operator),
        ("live", "Resumed by an operator.", operator),
        ("delisted", "Counterfeit", operator),
    ]


def test_resume_takes_only_paused_listings_and_the_stock_rule_still_applies(client, operator):
    approved = ListingFactory(status="approved")
    stock_paused = ListingFactory(status="paused", paused_for_stock=True)
    client.force_login(operator)
    notes = act(client, LISTINGS, "resume", [approved, stock_paused])
    assert ("error", f"{approved}: Only a paused listing resumes; this one is Approved.") in notes
    assert (
        "success",
        "1 listing resumed. 1 of them paused at once for want of stock; it resumes by itself when "
        "stock arrives.",
    ) in notes
    approved.refresh_from_db()
    stock_paused.refresh_from_db()
    assert approved.status == "approved"
    assert (stock_paused.status, stock_paused.paused_for_stock) == ("paused", True)


def test_set_retail_price_action_calls_the_service(client, operator):
    listings = ListingFactory.create_batch(2, status="approved")
    client.force_login(operator)
    notes = act(client, LISTINGS, "set_retail_price", listings, market="UK", amount="14.50")
    assert notes == [("success", "Retail price in UK set on 2 listings.")]
    for listing in listings:
        price = ListingPrice.objects.get(listing=listing)
        assert (price.market, price.currency, price.amount, price.set_by) == (
            "UK",
            "GBP",
            Decimal("14.50"),
            operator,
        )
        [event] = listing_events(listing, "listing.retail_price_set")
        assert event.actor == operator
        assert event.payload == {"market": "UK", "amount": "14.50", "currency": "GBP"}


@pytest.mark.parametrize(
    ("market", "amount", "message"),
    [
        ("", "14.50", "Choose a market"),
        ("UK", "abc", "Choose a market"),
        ("UK", "0", "A retail price is above zero."),
    ],
)
def test_a_bad_retail_price_sets_nothing(client, operator, market, amount, message):
    listing = ListingFactory(status="approved")
    client.force_login(operator)
    [(level, text)] = act(
        client, LISTINGS, "set_retail_price", [listing], market=market, amount=amount
    )
    assert level == "error"
    assert message in text
    assert not ListingPrice.objects.exists()


def listing_form(listing, prices):
    """The listing page's POST: only the retail-price rows are editable."""
    form = {
        "prices-TOTAL_FORMS": len(prices),
        "prices-INITIAL_FORMS": sum(1 for p in prices if "id" in p),
        "overseas_stock-TOTAL_FORMS": listing.overseas_stock.count(),
        "overseas_stock-INITIAL_FORMS": listing.overseas_stock.count(),
        "price_rounds-TOTAL_FORMS": listing.price_rounds.count(),
        "price_rounds-INITIAL_FORMS": listing.price_rounds.count(),
    }
    for n, row in enumerate(prices):
        form |= {f"prices-{n}-{name}": value for name, value in row.items()}
        form[f"prices-{n}-listing"] = listing.pk
    return form


def test_retail_prices_on_the_listing_page_are_set_through_the_service(client, operator):
    listing = ListingFactory(status="approved")
    client.force_login(operator)
    url = f"{LISTINGS}{listing.pk}/change/"
    response = client.post(url, listing_form(listing, [{"market": "US", "amount": "19.99"}]))
    assert response.status_code == 302, response.content.decode()[:3000]
    price = ListingPrice.objects.get(listing=listing)
    assert (price.market, price.currency, price.amount, price.set_by) == (
        "US",
        "USD",
        Decimal("19.99"),
        operator,
    )
    # Changing the amount of the row: the market stays (the field is disabled), the service
    # writes the new amount and an event.
    rows = [{"id": price.pk, "market": "JP", "amount": "17.50"}, {"market": "", "amount": ""}]
    assert client.post(url, listing_form(listing, rows)).status_code == 302
    price.refresh_from_db()
    assert (price.market, price.amount) == ("US", Decimal("17.50"))
    assert ListingPrice.objects.filter(listing=listing).count() == 1
    amounts = [e.payload["amount"] for e in listing_events(listing, "listing.retail_price_set")]
    assert amounts == ["19.99", "17.50"]
    # The listing's own fields are not editable through the page.
    listing.refresh_from_db()
    assert listing.status == "approved"


def test_a_zero_retail_price_on_the_listing_page_is_a_form_error(client, operator):
    listing = ListingFactory(status="approved")
    client.force_login(operator)
    response = client.post(
        f"{LISTINGS}{listing.pk}/change/", listing_form(listing, [{"market": "US", "amount": "0"}])
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not ListingPrice.objects.exists()


def test_the_listing_page_shows_what_an_operator_weighs(client, operator):
    category = CategoryFactory(price_band_min="5.00", price_band_max="50.00")
    supplier = SupplierFactory()
    listing = ListingFactory(
        supplier=supplier, product__category=category, product__reference_price_cny="18.00"
    )
    ListingFactory(
        supplier=supplier,
        product__category=category,
        product__title_en="Sister blocks",
        supply_price_cny="12.34",
        status="live",
    )
    ListingFactory(supplier=supplier, product__title_en="Other category", supply_price_cny="99.99")
    ListingFactory(product__category=category, product__title_en="Rival's", supply_price_cny="7.77")
    price_propose(listing, price="21.00", actor=member_of(supplier), note="Good plastic")
    client.force_login(operator)
    page = client.get(f"{LISTINGS}{listing.pk}/change/").content.decode()
    assert "18.00 CNY" in page  # reference price
    assert "5.00 CNY to 50.00 CNY" in page  # the category's band
    assert "Sister blocks</a>: 12.34 CNY (Live)" in page
    assert "99.99" not in page  # another category
    assert "7.77" not in page  # another supplier
    assert "21.00" in page
    assert "Good plastic" in page
    assert 'name="price_rounds-0-proposed_price"' not in page
    assert "listing.status_changed" in page  # the history


@pytest.mark.parametrize("role", ["operator", "finance_user"])
def test_only_compliance_officers_approve_compliance(client, request, role):
    listing = ListingFactory(status="compliance_review")
    client.force_login(request.getfixturevalue(role))
    assert 'value="approve_compliance"' not in client.get(LISTINGS).content.decode()
    client.post(LISTINGS, {"action": "approve_compliance", "_selected_action": [listing.pk]})
    listing.refresh_from_db()
    assert listing.status == "compliance_review"


@pytest.mark.parametrize("role", ["compliance_officer", "finance_user"])
def test_only_operators_have_the_listing_actions(client, request, role):
    listing = ListingFactory(status="compliance_review")
    client.force_login(request.getfixturevalue(role))
    page = client.get(LISTINGS).content.decode()
    assert 'value="publish"' not in page
    assert ('value="approve_compliance"' in page) == (role == "compliance_officer")
    assert 'value="export_csv"' in page
    client.post(LISTINGS, {"action": "publish", "_selected_action": [listing.pk]})
    listing.refresh_from_db()
    assert listing.status == "compliance_review"
    assert client.get(f"{LISTINGS}{listing.pk}/change/").status_code == 200
    response = client.post(
        f"{LISTINGS}{listing.pk}/change/", listing_form(listing, [{"market": "US", "amount": "1"}])
    )
    assert response.status_code == 403
    assert not ListingPrice.objects.exists()


def listing_rows(page: str) -> list[str]:
    return re.findall(r'<td class="field-status">([^<]+)</td>', page)


def test_the_listing_list_filters_and_searches(client, operator):
    toys = CategoryFactory(code="toys", name_en="Toys")
    blocks = CategoryFactory(code="toys-blocks", name_en="Blocks", parent=toys)
    ListingFactory(status="live", product__category=blocks, product__title_en="Brick set")
    ListingFactory(status="draft", mode="semi_managed", product__hs_code="392690")
    ListingFactory(status="paused", is_jit=True, supplier__name_en="Quick Co")
    client.force_login(operator)

    def statuses(**query):
        return sorted(listing_rows(client.get(LISTINGS, query).content.decode()))

    assert statuses() == ["Draft", "Live", "Paused"]
    assert statuses(status__exact="live") == ["Live"]
    assert statuses(mode__exact="semi_managed") == ["Draft"]
    assert statuses(is_jit__exact="1") == ["Paused"]
    assert statuses(category=toys.pk) == ["Live"]  # the subcategory's listing too
    assert statuses(q="Quick") == ["Paused"]
    assert statuses(q="392690") == ["Draft"]
    assert statuses(q="Brick") == ["Live"]


def test_the_listing_list_queries_stay_constant(client, operator, django_assert_max_num_queries):
    def semi_live():
        listing = ListingFactory(status="live", mode="semi_managed")
        retail_price_set(listing, market="US", amount="9.99", actor=operator)
        overseas_stock_report(listing, market="US", quantity=5, actor=None)
        return listing

    semi_live()
    client.force_login(operator)
    with django_assert_max_num_queries(30) as few:
        assert client.get(LISTINGS).status_code == 200
    for _ in range(15):
        semi_live()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(LISTINGS).content.decode()
    assert page.count('<td class="field-sellable">US</td>') == 16


# --- Price rounds ------------------------------------------------------------------------------


def proposed(price="20.00", **listing_fields):
    listing = ListingFactory(**listing_fields)
    round_ = price_propose(listing, price=price, actor=member_of(listing.supplier))
    return listing, round_


def test_accept_agrees_the_price_and_moves_the_listing_on(client, operator):
    listing, round_ = proposed("20.00")
    client.force_login(operator)
    notes = act(client, ROUNDS, "accept", [round_], note="Fair")
    assert notes == [("success", "1 price accepted.")]
    round_.refresh_from_db()
    listing.refresh_from_db()
    assert (round_.status, round_.reviewed_by, round_.operator_note) == (
        "accepted",
        operator,
        "Fair",
    )
    assert (listing.status, listing.supply_price_cny) == ("compliance_review", Decimal("20.00"))
    assert Event.objects.get(kind="listing.price_agreed").actor == operator


def test_counter_sends_the_counter_price_and_note(client, operator):
    _listing, round_ = proposed("20.00")
    client.force_login(operator)
    notes = act(client, ROUNDS, "counter", [round_], counter_price="17.50", note="Band is lower")
    assert notes == [("success", "1 counter-offer sent.")]
    round_.refresh_from_db()
    assert (round_.status, round_.counter_price, round_.operator_note) == (
        "countered",
        Decimal("17.50"),
        "Band is lower",
    )
    [(level, text)] = act(client, ROUNDS, "counter", [round_], counter_price="16.00")
    assert level == "error"
    assert "already has a counter-offer" in text


def test_a_counter_without_a_valid_price_is_refused(client, operator):
    _listing, round_ = proposed()
    client.force_login(operator)
    [(level, text)] = act(client, ROUNDS, "counter", [round_], counter_price="cheap")
    assert level == "error"
    assert "A price is a positive amount" in text
    round_.refresh_from_db()
    assert round_.status == "proposed"


def test_reject_needs_a_note_and_sends_the_listing_back_to_draft(client, operator):
    listing, round_ = proposed()
    client.force_login(operator)
    [(level, text)] = act(client, ROUNDS, "reject", [round_])
    assert level == "error"
    assert "Say why the price is rejected." in text
    assert act(client, ROUNDS, "reject", [round_], note="Too dear")[0][0] == "success"
    round_.refresh_from_db()
    listing.refresh_from_db()
    assert (round_.status, round_.operator_note, listing.status) == (
        "rejected",
        "Too dear",
        "draft",
    )


def test_a_closed_round_is_not_answered_even_when_the_listing_has_an_open_one(client, operator):
    listing, first = proposed("30.00")
    client.force_login(operator)
    act(client, ROUNDS, "reject", [first], note="No")
    second = price_propose(listing, price="25.00", actor=member_of(listing.supplier))
    [(level, text)] = act(client, ROUNDS, "accept", [first])
    assert level == "error"
    assert "This round is Rejected; only an open round is answered." in text
    second.refresh_from_db()
    assert second.status == "proposed"


def test_the_rounds_list_shows_what_to_weigh_and_filters_the_waiting_ones(client, operator):
    category = CategoryFactory(price_band_min="10.00", price_band_max="40.00")
    supplier = SupplierFactory()
    ListingFactory(
        supplier=supplier,
        product__category=category,
        product__title_en="Agreed one",
        supply_price_cny="11.11",
    )
    _waiting, _round = proposed(
        "20.00", supplier=supplier, product__category=category, product__reference_price_cny="19.00"
    )
    _countered, other = proposed("50.00")
    price_counter(other, price="45.00", actor=operator)
    client.force_login(operator)
    page = client.get(ROUNDS, {"status__exact": "proposed"}).content.decode()
    assert "19.00 CNY" in page
    assert "10.00 CNY to 40.00 CNY" in page
    assert "Agreed one</a>: 11.11 CNY" in page
    assert "50.00" not in page  # the countered round waits for its supplier
    detail = client.get(f"{ROUNDS}{other.pk}/change/").content.decode()
    assert "45.00" in detail
    assert 'name="counter_price"' not in detail  # read-only


def test_the_rounds_list_queries_stay_constant(client, operator, django_assert_max_num_queries):
    supplier = SupplierFactory()
    proposed(supplier=supplier)
    client.force_login(operator)
    with django_assert_max_num_queries(30) as few:
        assert client.get(ROUNDS).status_code == 200
    for n in range(12):
        category = CategoryFactory()
        ListingFactory(supplier=supplier, product__category=category, supply_price_cny="9.00")
        proposed(supplier=supplier if n % 2 else SupplierFactory(), product__category=category)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(ROUNDS).status_code == 200


# --- Tenders ----------------------------------------------------------------------------------


def open_form(product, closes_at, **fields):
    local = timezone.localtime(closes_at)
    return {
        "product": product.pk,
        "quantity": 500,
        "closes_at_0": local.strftime("%Y-%m-%d"),
        "closes_at_1": local.strftime("%H:%M:%S"),
        "min_score": "",
        "max_return_rate": "",
        "required_test": "EN 71-3",
        **fields,
    }


def test_an_operator_opens_a_tender_through_the_service(client, operator):
    product = ProductFactory(owner=None)
    client.force_login(operator)
    closes = timezone.now() + timedelta(days=2)
    response = client.post(
        f"{TENDERS}add/", open_form(product, closes, min_score="70", quality_adjusted="on")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    tender = Tender.objects.get()
    assert (tender.product, tender.quantity, tender.opened_by) == (product, 500, operator)
    assert (tender.min_score, tender.required_test, tender.quality_adjusted) == (
        Decimal("70"),
        "EN 71-3",
        True,
    )
    event = Event.objects.get(kind="tender.opened")
    assert event.actor == operator


def test_a_tender_closing_in_the_past_is_a_form_error(client, operator):
    client.force_login(operator)
    response = client.post(
        f"{TENDERS}add/", open_form(ProductFactory(), timezone.now() - timedelta(hours=1))
    )
    assert response.status_code == 200
    assert "The closing time must be in the future." in response.content.decode()
    # The service's refusal is on the field it names, on the add page with what was typed.
    form = response.context["adminform"].form
    assert form.errors["closes_at"] == ["In the future."]
    assert form.data["required_test"] == "EN 71-3"
    assert 'value="EN 71-3"' in response.content.decode()
    assert not Tender.objects.exists()
    assert not Event.objects.filter(kind="tender.opened").exists()


def place(tender, price, name, capacity=1000):
    user = member_of(SupplierFactory(name_en=name))
    return bid_place(tender, actor=user, unit_price=price, lead_time_days=9, capacity=capacity)


def make_due(tender):
    Tender.objects.filter(pk=tender.pk).update(closes_at=timezone.now() - timedelta(minutes=1))


def test_bids_are_sealed_in_the_admin_until_the_tender_closes(client, operator):
    tender = TenderFactory(quantity=100)
    place(tender, "123.45", "Cheap Co")
    place(tender, "130.07", "Dear Co")
    place(tender, "99.03", "Small Co", capacity=10)
    client.force_login(operator)
    url = f"{TENDERS}{tender.pk}/change/"
    page = client.get(url).content.decode()
    assert "Cheap Co" in page
    assert "Dear Co" in page
    assert page.count("sealed") >= 9
    for amount in ("123.45", "130.07", "99.03"):
        assert amount not in page
    listing_page = client.get(TENDERS).content.decode()
    assert "123.45" not in listing_page
    assert '<td class="field-bid_count">3</td>' in listing_page

    make_due(tender)
    notes = act(client, TENDERS, "close_now", [tender])
    assert notes == [("success", "1 tender closed (1 awarded).")]
    page = client.get(url).content.decode()
    for amount in ("123.45", "130.07", "99.03"):
        assert amount in page
    assert "capacity 10 below the quantity 100" in page
    why = re.search(r'data-testid="award-why"><b>Winner:</b> ([^<]+)<', page)
    assert why
    assert "Lowest unit price among 2 qualified bid(s): 123.45 CNY." in why.group(1)
    assert "Cheap Co (123.45 CNY)" in page  # the winner field
    tender.refresh_from_db()
    assert Event.objects.get(kind="tender.closed").actor == operator


def test_a_quality_adjusted_award_shows_the_arithmetic(client, operator):
    tender = TenderFactory(quantity=100, quality_adjusted=True)
    good = place(tender, "105.00", "Reliable Co")
    Scorecard.objects.create(supplier=good.supplier, score=Decimal("100"))
    place(tender, "100.00", "Unknown Co")
    make_due(tender)
    client.force_login(operator)
    act(client, TENDERS, "close_now", [tender])
    page = client.get(f"{TENDERS}{tender.pk}/change/").content.decode()
    assert "0.8 + 0.2 x score / 100" in page
    assert "125.0000" in page  # 100.00 / 0.8
    assert "105.0000" in page  # 105.00 / 1.0
    assert f'data-winner="{good.pk}"' in page


def test_close_now_closes_only_due_tenders(client, operator):
    later = TenderFactory()
    due = TenderFactory()
    make_due(due)
    client.force_login(operator)
    notes = act(client, TENDERS, "close_now", [later, due])
    assert ("success", "1 tender closed (0 awarded).") in notes
    [error] = [text for level, text in notes if level == "error"]
    assert "Not due until" in error
    later.refresh_from_db()
    due.refresh_from_db()
    assert (later.status, due.status) == ("open", "unawarded")
    [(level, text)] = act(client, TENDERS, "close_now", [due])
    assert (level, text.endswith(": Already closed.")) == ("error", True)


def test_the_closing_filter_finds_tenders_closing_within_a_day(client, operator):
    soon = TenderFactory(closes_at=timezone.now() + timedelta(hours=5), product__title_en="Soon")
    TenderFactory(closes_at=timezone.now() + timedelta(days=5), product__title_en="Later")
    client.force_login(operator)
    page = client.get(TENDERS, {"closing": "24h"}).content.decode()
    assert f"/admin/catalogue/tender/{soon.pk}/change/" in page
    assert "Later" not in page


def test_the_tender_list_queries_stay_constant(client, operator, django_assert_max_num_queries):
    place(TenderFactory(), "10.00", "First Co")
    client.force_login(operator)
    with django_assert_max_num_queries(30) as few:
        assert client.get(TENDERS).status_code == 200
    baseline = len(few.captured_queries)  # read now: each request empties the query log
    for n in range(10):
        tender = TenderFactory()
        place(tender, "10.00", f"Bidder {n}")
        if n % 2:
            make_due(tender)
            act(client, TENDERS, "close_now", [tender])
    with django_assert_max_num_queries(baseline):
        assert client.get(TENDERS).status_code == 200


# --- Categories and products ------------------------------------------------------------------


def test_categories_show_as_an_indented_tree_and_refuse_a_cycle(client, operator):
    toys = CategoryFactory(code="toys", name_en="Toys", risk_level="high")
    blocks = CategoryFactory(code="toys-blocks", name_en="Blocks", parent=toys)
    magnetic = CategoryFactory(code="toys-blocks-magnetic", name_en="Magnetic", parent=blocks)
    CategoryFactory(code="home", name_en="Home", risk_level="low", price_band_min=None)
    client.force_login(operator)
    page = client.get(CATEGORIES).content.decode()
    assert '<span style="padding-left: 4em">Toys / Blocks / Magnetic</span>' in page
    assert '<span style="padding-left: 0em">Toys</span>' in page
    low = client.get(CATEGORIES, {"risk_level__exact": "low"}).content.decode()
    assert "Home" in low
    assert "Magnetic" not in low

    form = {
        "code": "toys",
        "name_en": "Toys",
        "name_zh": "玩具",
        "parent": magnetic.pk,
        "risk_level": "high",
        "aql_override": "",
        "price_band_min": "",
        "price_band_max": "",
    }
    response = client.post(f"{CATEGORIES}{toys.pk}/change/", form)
    assert response.status_code == 200
    assert "cannot sit under itself" in response.content.decode()
    toys.refresh_from_db()
    assert toys.parent is None


def test_the_category_list_queries_stay_constant(client, operator, django_assert_max_num_queries):
    root = CategoryFactory()
    client.force_login(operator)
    with django_assert_max_num_queries(20) as few:
        client.get(CATEGORIES)
    parent = root
    for _ in range(8):
        parent = CategoryFactory(parent=parent)
        ProductFactory(category=parent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(CATEGORIES).content.decode()
    assert "padding-left: 16em" in page


def test_products_search_by_hs_code_and_show_image_thumbnails(client, operator, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory(hs_code="95030090", title_en="Robot kit")
    ProductFactory(hs_code="392690", title_en="Storage box")
    ProductImage.objects.create(
        product=product,
        image=SimpleUploadedFile("a.jpg", b"x"),
        thumbnail=SimpleUploadedFile("a-thumb.jpg", b"x"),
    )
    client.force_login(operator)
    page = client.get(PRODUCTS, {"q": "9503"}).content.decode()
    assert "Robot kit" in page
    assert "Storage box" not in page
    assert "a-thumb" in page
    detail = client.get(f"{PRODUCTS}{product.pk}/change/").content.decode()
    assert re.search(r'<img src="[^"]*a-thumb[^"]*\.jpg"', detail)
    assert 'name="images-0-image"' not in detail  # the images are read-only


def test_an_operator_sets_the_reference_price_of_a_suppliers_product_only(client, operator):
    product = ProductFactory(owner=SupplierFactory(), title_en="Owned")
    client.force_login(operator)
    url = f"{PRODUCTS}{product.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="reference_price_cny"' in page
    assert 'name="title_en"' not in page  # the supplier describes its product
    form = {
        "reference_price_cny": "21.50",
        "title_en": "Renamed",
        "images-TOTAL_FORMS": 0,
        "images-INITIAL_FORMS": 0,
    }
    assert client.post(url, form).status_code == 302
    product.refresh_from_db()
    assert (product.reference_price_cny, product.title_en) == (Decimal("21.50"), "Owned")


def test_a_tender_specification_follows_the_product_rules(client, operator):
    client.force_login(operator)
    form = {
        "title_en": "Spec",
        "title_zh": "规格",
        "category": CategoryFactory().pk,
        "attributes": '{"material": "ABS"}',
        "hs_code": "9503.00",
        "weight_g": "100",
        "length_cm": "10.0",
        "width_cm": "10.0",
        "height_cm": "10.0",
        "declared_value_usd": "-1",
        "origin_country": "CN",
        "reference_price_cny": "",
        "images-TOTAL_FORMS": 0,
        "images-INITIAL_FORMS": 0,
    }
    response = client.post(f"{PRODUCTS}add/", form)
    assert response.status_code == 200
    assert "US dollars above zero" in response.content.decode()
    response = client.post(f"{PRODUCTS}add/", form | {"declared_value_usd": "3.00"})
    assert response.status_code == 302
    created = Product.objects.get(title_en="Spec")
    assert (created.owner, created.hs_code) == (None, "950300")


# --- Export -----------------------------------------------------------------------------------


def export(client, url, rows, query=""):
    response = client.post(
        f"{url}{query}",
        {
            "action": "export_csv",
            "_selected_action": [rows[0].pk],
            "select_across": "1",
            "index": "0",
        },
    )
    assert response.status_code == 200, response.content[:500]
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_export_a_filtered_listing_list_to_csv(client, operator):
    live = ListingFactory(status="live", product__title_en="=HYPERLINK(evil)")
    retail_price_set(live, market="US", amount="9.99", actor=operator)
    ListingFactory.create_batch(3, status="draft")
    client.force_login(operator)
    header, *rows = export(client, LISTINGS, [live], "?status__exact=live")
    assert header == [
        "ID",
        "product",
        "supplier",
        "mode",
        "JIT",
        "status",
        "supply price (CNY)",
        "sellable in",
        "status changed",
    ]
    assert len(rows) == 1
    [row] = rows
    assert row[0] == str(live.pk)
    assert row[1].startswith("'=HYPERLINK(evil) / ")  # a formula stays text
    assert row[2] == live.supplier.name_en or row[2] == str(live.supplier)
    assert row[3:6] == ["Fully managed", "no", "Live"]
    assert row[6:8] == ["", "US"]


def test_export_selected_rows_only_and_html_columns_as_text(client, operator):
    toys = CategoryFactory(code="toys", name_en="Toys")
    blocks = CategoryFactory(code="toys-blocks", name_en="Blocks", parent=toys)
    CategoryFactory(code="home", name_en="Home")
    client.force_login(operator)
    response = client.post(
        CATEGORIES, {"action": "export_csv", "_selected_action": [blocks.pk, toys.pk]}
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    header, *rows = list(csv.reader(io.StringIO(body[1:])))
    assert header[:3] == ["category", "code", "risk level"]
    assert [row[0] for row in rows] == ["Toys", "Toys / Blocks"]
    assert rows[0][2] == "High"


def test_suppliers_and_the_ledger_export_with_their_computed_columns(client, finance_user):
    rich = funded_supplier("12500.50", name_en="Rich Co")
    SupplierFactory(name_en="Poor Co", status="applied")
    client.force_login(finance_user)
    header, *rows = export(client, "/admin/suppliers/supplier/", [rich], "?status__exact=active")
    assert "balance (CNY)" in header
    assert len(rows) == 1
    assert rows[0][header.index("balance (CNY)")] == "12500.50"
    assert rows[0][header.index("provinces")] == "Guangdong"
    header, *rows = export(client, "/admin/suppliers/ledgerentry/", [rich.ledger_entries.first()])
    assert [row[header.index("amount (CNY)")] for row in rows] == ["12500.50"]


def test_an_export_of_many_rows_streams_every_row(client, operator, monkeypatch):
    from marketplace import admin_export

    monkeypatch.setattr(admin_export, "CHUNK_SIZE", 4)
    categories = [CategoryFactory() for _ in range(10)]
    client.force_login(operator)
    _header, *rows = export(client, CATEGORIES, categories)
    assert sorted(row[1] for row in rows) == sorted(c.code for c in categories)


# --- The dashboard ----------------------------------------------------------------------------


def test_the_dashboard_shows_the_catalogue_figures(client, operator):
    ListingFactory.create_batch(2, status="live")
    ListingFactory(status="draft")
    proposed()
    TenderFactory(closes_at=timezone.now() + timedelta(hours=3))
    TenderFactory(closes_at=timezone.now() + timedelta(days=3))
    client.force_login(operator)
    page = client.get("/admin/").content.decode()
    assert re.search(r'data-figure="rounds-waiting">1<', page)
    assert re.search(r'data-figure="tenders-closing">1<', page)
    bars = dict(re.findall(r'data-listing-status="(\w+)">.*?<b>(\d+)</b>', page, re.S))
    assert (bars["live"], bars["draft"], bars["submitted"]) == ("2", "1", "1")


def test_listing_category_is_shown_in_the_filter_as_a_tree(client, operator):
    toys = CategoryFactory(code="toys", name_en="Toys")
    CategoryFactory(code="toys-blocks", name_en="Blocks", parent=toys)
    client.force_login(operator)
    page = client.get(LISTINGS).content.decode()
    assert "\u2003Blocks" in page
    assert client.get(LISTINGS, {"category": "x"}).status_code == 302  # ?e=1


def test_categories_store_nothing_but_their_own_fields(client, operator):
    client.force_login(operator)
    response = client.post(
        f"{CATEGORIES}add/",
        {
            "code": "garden",
            "name_en": "Garden",
            "name_zh": "园艺",
            "risk_level": "low",
            "aql_override": "",
            "price_band_min": "20.00",
            "price_band_max": "10.00",
        },
    )
    assert response.status_code == 200  # the band is upside down: the model's constraint
    assert not Category.objects.filter(code="garden").exists()


def test_round_of_a_listing_is_linked_from_its_page(client, operator):
    listing, round_ = proposed()
    client.force_login(operator)
    page = client.get(f"{LISTINGS}{listing.pk}/change/").content.decode()
    assert f"/admin/catalogue/priceround/{round_.pk}/change/" in page
    assert PriceRound.objects.count() == 1
    assert Listing.objects.get(pk=listing.pk).status == "submitted"
