"""Reads that carry a rule: which products, listings, tenders and bids a caller may see, where a
listing sells, and what an operator weighs in price review.

Every API view and admin screen fetches through these, so a supplier never reaches another
supplier's records (a 404, or absent from a list) and a sealed bid never leaves its supplier.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import (
    BooleanField,
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from accounts.models import User
from compliance.selectors.answer import compliance_answers, listing_answers
from marketplace.models import Event
from suppliers.models import Supplier
from suppliers.selectors import supplier_for, supplier_id_for

from .models import Bid, Category, Listing, ListingPrice, OverseasStock, PriceRound, Product, Tender

# --- Categories -----------------------------------------------------------------------------


def category_tree() -> dict[int, tuple[int | None, str, str]]:
    """Every category as id -> (parent id, code, English name): one query over a small table,
    from which paths and subtrees are computed without a query per level."""
    return {
        pk: (parent_id, code, name)
        for pk, parent_id, code, name in Category.objects.values_list(
            "pk", "parent_id", "code", "name_en"
        )
    }


def category_path(tree: dict[int, tuple[int | None, str, str]], category_id: int) -> list[int]:
    """The ids from the root down to the category. A cycle (which the admin form refuses) stops
    the walk instead of looping."""
    path: list[int] = []
    current: int | None = category_id
    while current is not None and current in tree and current not in path:
        path.append(current)
        current = tree[current][0]
    return path[::-1]


def category_subtree(category_id: int) -> list[int]:
    """The category and every category below it (a filter on "toys" finds "toys / blocks")."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, (parent_id, _code, _name) in category_tree().items():
        children[parent_id].append(pk)
    found, todo = [], [category_id]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.append(current)
        todo.extend(children.get(current, []))
    return found


# --- Products ------------------------------------------------------------------------------


def products_visible_to(user: User) -> QuerySet[Product]:
    """A supplier user sees the products it owns, whatever their listing state, and the
    platform's products (no owner: a tender's specification) it lists; never another
    supplier's product, listed or not. Integrators and staff who may view products see all of
    them. The portal and the API both read products through this."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        listed = Listing.objects.filter(product=OuterRef("pk"), supplier_id=supplier_id)
        return Product.objects.filter(
            Q(owner_id=supplier_id) | (Q(owner__isnull=True) & Exists(listed))
        )
    if hasattr(user, "api_client") or user.has_perm("catalogue.view_product"):
        return Product.objects.all()
    return Product.objects.none()


# --- Listings -------------------------------------------------------------------------------


def listings_visible_to(user: User) -> QuerySet[Listing]:
    """A supplier user sees its own listings in every state; integrators see live listings only
    (what a storefront can sell); staff who may view listings see all of them."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Listing.objects.filter(supplier_id=supplier_id)
    if hasattr(user, "api_client"):
        return Listing.objects.filter(status=Listing.Status.LIVE)
    if user.has_perm("catalogue.view_listing"):
        return Listing.objects.all()
    return Listing.objects.none()


def with_selling_data(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Prices and overseas stock in two queries for the whole page (see `sellable_markets_of`)."""
    return listings.prefetch_related(
        Prefetch("prices", queryset=ListingPrice.objects.order_by("market")),
        Prefetch("overseas_stock", queryset=OverseasStock.objects.order_by("market")),
    )


def markets_on_sale(listing: Listing) -> list[str]:
    """Where the listing is on sale, compliance aside: live, priced there, and for semi-managed
    listings with reported stock there. Reads `prices` and `overseas_stock` through `.all()`
    (no further query on a page fetched `with_selling_data`)."""
    if listing.status != Listing.Status.LIVE:
        return []
    priced = {price.market for price in listing.prices.all()}
    if listing.mode == Listing.Mode.SEMI_MANAGED:
        priced &= {stock.market for stock in listing.overseas_stock.all() if stock.quantity > 0}
    return sorted(priced)


def sellable_markets_of(listing: Listing) -> list[str]:
    """Where a consumer can buy the listing now: the markets it is on sale in
    (`markets_on_sale`) where the compliance answer holds (compliance.selectors.answer). Reads
    the compliance of a page set by `with_compliance`, else two queries for this listing."""
    on_sale = markets_on_sale(listing)
    if not on_sale:
        return []
    holding: set[str] | None = getattr(listing, "compliance_holding", None)
    if holding is None:
        holding = set(listing_answers(listing, on_sale).holding())
    return [market for market in on_sale if market in holding]


def with_compliance(listings: Iterable[Listing]) -> list[Listing]:
    """Sets `compliance_holding` (the markets, of those each is priced in, where the compliance
    answer lets it be sold) on every listing of a page, set-based: a few queries for the page.
    The listings come with their prices prefetched (`with_selling_data`)."""
    page = list(listings)
    markets = sorted({price.market for listing in page for price in listing.prices.all()})
    if not markets:
        for listing in page:
            listing.compliance_holding = set()  # type: ignore[attr-defined]
        return page
    answers = compliance_answers(Listing.objects.filter(pk__in=[x.pk for x in page]), markets)
    for listing in page:
        listing.compliance_holding = {  # type: ignore[attr-defined]
            price.market
            for price in listing.prices.all()
            if answers[(listing.pk, price.market)].may_sell
        }
    return page


def sellable_in(market: str) -> Q:
    """The same rule as a query condition, for filtering lists by market."""
    priced = ListingPrice.objects.filter(listing=OuterRef("pk"), market=market)
    stocked = OverseasStock.objects.filter(listing=OuterRef("pk"), market=market, quantity__gt=0)
    return (
        Q(status=Listing.Status.LIVE)
        & Exists(priced)
        & (Q(mode=Listing.Mode.FULLY_MANAGED) | Exists(stocked))
    )


def listing_history(listing: Listing, *, limit: int = 20) -> QuerySet[Event]:
    """The latest events about the listing (state moves, retail prices), newest first."""
    from django.contrib.contenttypes.models import ContentType

    return (
        Event.objects.filter(
            subject_type=ContentType.objects.get_for_model(Listing), subject_id=str(listing.pk)
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )


# --- Price review ---------------------------------------------------------------------------


def price_rounds_awaiting_operator() -> QuerySet[PriceRound]:
    """Rounds the supplier proposed and no operator has answered yet."""
    return PriceRound.objects.filter(status=PriceRound.Status.PROPOSED)


def supplier_agreed_prices(listings: Iterable[Listing]) -> dict[tuple[int, int], list[Listing]]:
    """What each listing's supplier already agreed in the same category: its other listings'
    supply prices, keyed by (supplier id, category id). One query for a whole page of listings
    (the listings need `product` loaded); a listing appears under its own key too, so callers
    leave it out themselves."""
    keys = {(listing.supplier_id, listing.product.category_id) for listing in listings}
    if not keys:
        return {}
    condition = Q()
    for supplier_id, category_id in keys:
        condition |= Q(supplier_id=supplier_id, product__category_id=category_id)
    agreed: dict[tuple[int, int], list[Listing]] = defaultdict(list)
    rows = (
        Listing.objects.filter(condition, supply_price_cny__isnull=False)
        .select_related("product")
        .order_by("product__title_en", "pk")
    )
    for row in rows:
        agreed[(row.supplier_id, row.product.category_id)].append(row)
    return agreed


# --- Tenders and bids -----------------------------------------------------------------------


def tenders_visible_to(supplier: Supplier) -> QuerySet[Tender]:
    """Open tenders an active supplier may bid on, and the ones it has bid on."""
    if supplier.status != Supplier.Status.ACTIVE:
        return Tender.objects.filter(bids__supplier=supplier).distinct()
    return Tender.objects.filter(
        Q(status=Tender.Status.OPEN, closes_at__gt=timezone.now()) | Q(bids__supplier=supplier)
    ).distinct()


def tenders_for_supplier_user(user: User) -> QuerySet[Tender]:
    """The tenders a supplier user may see (`tenders_visible_to`), each with only the bids it
    may read prefetched as `own_bids` (its own supplier's: no other bid is ever loaded)."""
    supplier = supplier_for(user)
    if supplier is None:
        return Tender.objects.none()
    return (
        tenders_visible_to(supplier)
        .select_related("product")
        .prefetch_related(
            Prefetch("bids", queryset=tender_bids_visible_to(user), to_attr="own_bids")
        )
    )


def _bids_readable_by(user: User) -> Q:
    """Sealed bids (SPEC, "Reverse auction"): a supplier user reads only its own supplier's
    bids; staff who may view bids read them once the tender has closed; nobody else reads any."""
    supplier_id = supplier_id_for(user)
    if supplier_id is not None:
        return Q(supplier_id=supplier_id)
    if user.has_perm("catalogue.view_bid"):
        return ~Q(tender__status=Tender.Status.OPEN)
    return Q(pk__in=[])


def tender_bids_visible_to(user: User) -> QuerySet[Bid]:
    """The bids `user` may read, amounts and all."""
    return Bid.objects.filter(_bids_readable_by(user))


def bids_with_sealing(bids: QuerySet[Bid], user: User) -> QuerySet[Bid]:
    """The bids, each with `amounts_visible`: whether `user` may read its unit price, lead time
    and capacity (the rule of `tender_bids_visible_to`). An operator lists an open tender's bids,
    who bid and when, with the amounts sealed until it closes."""
    return bids.annotate(
        amounts_visible=Case(
            When(_bids_readable_by(user), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def tenders_closing_within(hours: int = 24) -> QuerySet[Tender]:
    now = timezone.now()
    return Tender.objects.filter(
        status=Tender.Status.OPEN, closes_at__gt=now, closes_at__lte=now + timedelta(hours=hours)
    )


def tenders_due() -> QuerySet[Tender]:
    """Open tenders past their closing time (the close job takes them within a minute)."""
    return Tender.objects.filter(status=Tender.Status.OPEN, closes_at__lte=timezone.now())
