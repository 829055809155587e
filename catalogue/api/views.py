"""The catalogue API: one view per operation. Every read goes through a selector scoped to the
caller (another supplier's listing, product or bid is a 404, or absent from a list); every write
calls a service. Bids are sealed: a supplier reads its own bid and nothing about the others,
not even how many there are."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import SUPPLIER, User
from catalogue.models import Category, Listing, Product, ProductImage, Tender
from catalogue.selectors import (
    category_path,
    category_tree,
    listings_visible_to,
    products_visible_to,
    tenders_for_supplier_user,
    with_selling_data,
)
from catalogue.services.listings import overseas_stock_report
from catalogue.services.prices import (
    price_accept_counter,
    price_propose,
    price_round_open,
    price_withdraw,
)
from catalogue.services.tenders import bid_place
from marketplace.api.schema import error_responses
from marketplace.files import private_file

from .filters import ListingFilter, ProductFilter, TenderFilter
from .pagination import OpenedCursorPagination
from .serializers import (
    BidInput,
    BidOutput,
    CategoryOutput,
    ListingOutput,
    OverseasStockInput,
    PriceProposeInput,
    PriceRoundOutput,
    ProductOutput,
    TenderOutput,
)


def _caller(request: Request) -> User:
    return cast(User, request.user)


# --- Categories -------------------------------------------------------------------------------


def _category_context() -> dict[str, Any]:
    tree = category_tree()
    return {"paths": {pk: [tree[i][1] for i in category_path(tree, pk)] for pk in tree}}


class CategoryListApi(generics.ListAPIView[Category]):
    """Every category, as a tree: each with its parent, depth and path of codes from the root.
    Not paginated (a small, slowly changing list)."""

    serializer_class = CategoryOutput
    pagination_class = None
    queryset = Category.objects.order_by("code")

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_category_context()}

    @extend_schema(
        operation_id="categories_list",
        summary="List the category tree",
        responses={200: CategoryOutput(many=True), **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class CategoryDetailApi(generics.RetrieveAPIView[Category]):
    serializer_class = CategoryOutput
    queryset = Category.objects.all()

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_category_context()}

    @extend_schema(
        operation_id="categories_retrieve",
        summary="Get a category",
        description=(
            "One category with its parent, depth, path of codes from the root, risk level and "
            "default AQL."
        ),
        responses={200: CategoryOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


# --- Products ---------------------------------------------------------------------------------


class ProductApiBase(generics.GenericAPIView[Product]):
    serializer_class = ProductOutput

    def get_queryset(self) -> QuerySet[Product]:
        return products_visible_to(_caller(self.request)).prefetch_related("images")


class ProductListApi(ProductApiBase, generics.ListAPIView[Product]):
    """Products the caller may see: a supplier user its own (and those it lists), integrators
    and staff all of them. Filter by `category` (subcategories included), `hs_code` (leading
    digits) and `search` (titles)."""

    filterset_class = ProductFilter

    @extend_schema(
        operation_id="products_list",
        summary="List products",
        responses={200: ProductOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ProductDetailApi(ProductApiBase, generics.RetrieveAPIView[Product]):
    @extend_schema(
        operation_id="products_retrieve",
        summary="Get a product",
        description=(
            "One product with its titles, category, HS code, attributes, dimensions and images "
            "(each image's URL is served by this API, with the same key)."
        ),
        responses={200: ProductOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


# The picture formats an upload may be (the file is served typed from its name).
IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "webp"}


class ProductImageApi(APIView):
    """A product picture, as the product's `images` give its URL: `full` is the picture as
    uploaded (JPEG, PNG or WebP, checked by content on upload), `thumbnail` a JPEG at most 320
    px on its longer side. For callers who may see the product (integrators every product, a
    supplier user its own), with the same API key; media files are never served publicly."""

    @extend_schema(
        operation_id="products_image_retrieve",
        summary="Download a product picture",
        parameters=[
            OpenApiParameter("variant", str, OpenApiParameter.PATH, enum=["full", "thumbnail"])
        ],
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
            **error_responses(401, 403, 404, 429),
        },
    )
    def get(self, request: Request, pk: int, image_id: int, variant: str) -> FileResponse:
        if variant not in ("full", "thumbnail"):
            raise Http404
        product = get_object_or_404(products_visible_to(_caller(request)), pk=pk)
        image = get_object_or_404(ProductImage, pk=image_id, product=product)
        stored = image.thumbnail if variant == "thumbnail" else image.image
        extension = stored.name.rsplit(".", 1)[-1].lower() if stored else ""
        if extension not in IMAGE_EXTENSIONS:
            raise Http404
        return private_file(stored, max_age=86400)


# --- Listings ---------------------------------------------------------------------------------


def _listing_context(user: User) -> dict[str, Any]:
    # Supply prices and stock are the supplier's and the platform's business, not a storefront's.
    return {"supply_side": not hasattr(user, "api_client")}


def _visible_listings(user: User) -> QuerySet[Listing]:
    return with_selling_data(listings_visible_to(user).select_related("product__category"))


class ListingApiBase(generics.GenericAPIView[Listing]):
    serializer_class = ListingOutput

    def get_queryset(self) -> QuerySet[Listing]:
        return _visible_listings(_caller(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **_listing_context(_caller(self.request))}


class ListingListApi(ListingApiBase, generics.ListAPIView[Listing]):
    """Listings the caller may see: a supplier user its own in every state; integrators the live
    ones, with where they sell and their retail prices but no supply-side data (`supply` is
    null); staff all of them. Filter by `status`, `mode`, `is_jit`, `supplier`, `category`
    (subcategories included) and `market` (sellable there now)."""

    filterset_class = ListingFilter

    @extend_schema(
        operation_id="listings_list",
        summary="List listings",
        responses={200: ListingOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class ListingDetailApi(ListingApiBase, generics.RetrieveAPIView[Listing]):
    @extend_schema(
        operation_id="listings_retrieve",
        summary="Get a listing",
        description=(
            "One listing with its product, where it sells now and its retail prices; the supply "
            "side (supply price, stock, state and why) for its supplier and staff only."
        ),
        responses={200: ListingOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


def _own_listing(user: User, pk: int) -> Listing:
    """The caller's supplier's listing, or 404 (the view's `supplier` scope guarantees a
    membership, so this is always the supplier-scoped fetch)."""
    return get_object_or_404(listings_visible_to(user), pk=pk)


def _listing_response(user: User, pk: int, code: int = status.HTTP_200_OK) -> Response:
    listing = get_object_or_404(_visible_listings(user), pk=pk)
    return Response(ListingOutput(listing, context=_listing_context(user)).data, status=code)


class OverseasStockReportApi(APIView):
    """A semi-managed seller reports its stock in one market. The listing sells there only while
    the stock is above zero; it pauses at zero everywhere and resumes when stock is back.
    Answers with the listing as it now stands. A report below the units consumer orders hold
    there until the seller ships them is 422 `below_reserved`, naming `quantity`."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="listings_overseas_stock_report",
        summary="Report overseas stock",
        request=OverseasStockInput,
        responses={200: ListingOutput, **error_responses(400, 401, 403, 404, 422, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        listing = _own_listing(user, pk)
        data = OverseasStockInput(data=request.data)
        data.is_valid(raise_exception=True)
        overseas_stock_report(
            listing,
            market=data.validated_data["market"],
            quantity=data.validated_data["quantity"],
            actor=user,
        )
        return _listing_response(user, pk)


# --- Price rounds -----------------------------------------------------------------------------


class PriceRoundListCreateApi(APIView):
    """Every price round of the supplier's own listing, oldest first (GET), or a new proposal
    (POST: a draft listing is submitted with it). One open round at a time: a second is 409
    `round_open`."""

    required_scopes = {"GET": SUPPLIER, "POST": SUPPLIER}

    @extend_schema(
        operation_id="listings_price_rounds_list",
        summary="List a listing's price rounds",
        responses={200: PriceRoundOutput(many=True), **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        listing = _own_listing(_caller(request), pk)
        rounds = listing.price_rounds.order_by("number")
        return Response(PriceRoundOutput(rounds, many=True).data)

    @extend_schema(
        operation_id="listings_price_rounds_propose",
        summary="Propose a supply price",
        request=PriceProposeInput,
        responses={
            201: PriceRoundOutput,
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        listing = _own_listing(user, pk)
        data = PriceProposeInput(data=request.data)
        data.is_valid(raise_exception=True)
        round_ = price_propose(
            listing,
            price=data.validated_data["price"],
            note=data.validated_data["note"],
            actor=user,
        )
        return Response(PriceRoundOutput(round_).data, status=status.HTTP_201_CREATED)


class PriceRoundAcceptCounterApi(APIView):
    """The supplier takes the operator's counter-offer: the price is agreed and the listing goes
    on to compliance review."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="listings_price_rounds_accept_counter",
        summary="Accept the counter-offer",
        request=None,
        responses={200: PriceRoundOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        round_ = price_accept_counter(price_round_open(_own_listing(user, pk)), actor=user)
        return Response(PriceRoundOutput(round_).data)


class PriceRoundWithdrawApi(APIView):
    """The supplier withdraws its proposal (or declines the counter-offer): the listing goes
    back to draft."""

    required_scopes = {"POST": SUPPLIER}

    @extend_schema(
        operation_id="listings_price_rounds_withdraw",
        summary="Withdraw the price proposal",
        request=None,
        responses={200: PriceRoundOutput, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        round_ = price_withdraw(price_round_open(_own_listing(user, pk)), actor=user)
        return Response(PriceRoundOutput(round_).data)


# --- Tenders ----------------------------------------------------------------------------------


class TenderApiBase(generics.GenericAPIView[Tender]):
    serializer_class = TenderOutput
    required_scopes = {"GET": SUPPLIER}

    def get_queryset(self) -> QuerySet[Tender]:
        return tenders_for_supplier_user(_caller(self.request))


class TenderListApi(TenderApiBase, generics.ListAPIView[Tender]):
    """Open tenders the supplier may bid on, and those it has bid on, newest first; each with
    the caller's own bid only. For supplier users (scope `supplier`): integrators get 403."""

    filterset_class = TenderFilter
    pagination_class = OpenedCursorPagination

    @extend_schema(
        operation_id="tenders_list",
        summary="List tenders",
        responses={200: TenderOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class TenderDetailApi(TenderApiBase, generics.RetrieveAPIView[Tender]):
    @extend_schema(
        operation_id="tenders_retrieve",
        summary="Get a tender",
        description=(
            "One tender the supplier may bid on or has bid on, with the caller's own bid only "
            "and, once closed, whether it won."
        ),
        responses={200: TenderOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class TenderBidApi(APIView):
    """Place the supplier's sealed bid, or lower it (never raise it) before the tender closes.
    POST and PUT do the same. The answer is the caller's own bid only."""

    required_scopes = {"POST": SUPPLIER, "PUT": SUPPLIER}

    def _place(self, request: Request, pk: int) -> Response:
        user = _caller(request)
        tender = get_object_or_404(tenders_for_supplier_user(user), pk=pk)
        data = BidInput(data=request.data)
        data.is_valid(raise_exception=True)
        had_bid = bool(getattr(tender, "own_bids", []))
        bid = bid_place(tender, actor=user, **data.validated_data)
        code = status.HTTP_200_OK if had_bid else status.HTTP_201_CREATED
        return Response(BidOutput(bid).data, status=code)

    _schema = {
        "request": BidInput,
        "responses": {
            200: OpenApiResponse(BidOutput, description="The bid, lowered."),
            201: OpenApiResponse(BidOutput, description="The bid, placed."),
            **error_responses(400, 401, 403, 404, 409, 422, 429),
        },
    }

    @extend_schema(operation_id="tenders_bid_place", summary="Place or lower a bid", **_schema)  # type: ignore[arg-type]
    def post(self, request: Request, pk: int) -> Response:
        return self._place(request, pk)

    @extend_schema(operation_id="tenders_bid_update", summary="Lower a bid", **_schema)  # type: ignore[arg-type]
    def put(self, request: Request, pk: int) -> Response:
        return self._place(request, pk)
