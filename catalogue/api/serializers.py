"""What the catalogue API reads and writes. Output serializers only read; input serializers only
parse, and the views hand the values to a service."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalogue.models import (
    Bid,
    Category,
    Listing,
    ListingPrice,
    Market,
    OverseasStock,
    PriceRound,
    Product,
    ProductImage,
    Tender,
)
from catalogue.selectors import sellable_markets_of, with_compliance
from catalogue.services.listings import NEXT_STEP
from marketplace.api.fields import integer_field

# --- Categories -------------------------------------------------------------------------------


class CategoryOutput(serializers.ModelSerializer):
    # The metaclass takes declared fields out of the class body, so this does not shadow
    # Field.parent.
    parent = serializers.IntegerField(  # type: ignore[assignment]
        source="parent_id", allow_null=True, read_only=True
    )
    path = serializers.SerializerMethodField(
        help_text="The codes from the root category down to this one."
    )
    depth = serializers.SerializerMethodField(help_text="0 for a root category.")
    default_aql = serializers.ChoiceField(
        source="effective_aql",
        choices=Category.Aql.choices,
        read_only=True,
        help_text=(
            "The AQL lots of this category are inspected at: `aql_override` when set, else "
            "the one its risk level gives (2.5 for high risk, 4.0 for the rest by default)."
        ),
    )
    aql_override = serializers.SerializerMethodField(
        help_text="The operator's AQL for this category, or null: it follows the risk level."
    )

    class Meta:
        model = Category
        fields = [
            "id",
            "code",
            "name_en",
            "name_zh",
            "parent",
            "path",
            "depth",
            "risk_level",
            "default_aql",
            "aql_override",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_path(self, category: Category) -> list[str]:
        return list(self.context["paths"][category.pk])

    def get_depth(self, category: Category) -> int:
        return len(self.context["paths"][category.pk]) - 1

    @extend_schema_field(serializers.ChoiceField(choices=Category.Aql.choices, allow_null=True))
    def get_aql_override(self, category: Category) -> str | None:
        return category.aql_override or None


# --- Products ---------------------------------------------------------------------------------


def _image_url(context: dict[str, Any], image: ProductImage, variant: str) -> str:
    path = reverse(
        "api-product-image",
        kwargs={"pk": image.product_id, "image_id": image.pk, "variant": variant},
    )
    request = context.get("request")
    return request.build_absolute_uri(path) if request is not None else path


class ProductImageOutput(serializers.ModelSerializer):
    image = serializers.SerializerMethodField(
        help_text="The picture as uploaded (JPEG, PNG or WebP); GET it with the same API key."
    )
    thumbnail = serializers.SerializerMethodField(
        help_text="A JPEG at most 320 px on its longer side; GET it with the same API key."
    )

    class Meta:
        model = ProductImage
        fields = ["id", "image", "thumbnail", "position"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_image(self, image: ProductImage) -> str:
        return _image_url(self.context, image, "full")

    @extend_schema_field(serializers.URLField())
    def get_thumbnail(self, image: ProductImage) -> str:
        return _image_url(self.context, image, "thumbnail")


class ProductOutput(serializers.ModelSerializer):
    category = serializers.IntegerField(source="category_id", read_only=True)
    images = ProductImageOutput(many=True, read_only=True)
    attributes = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Name and value pairs."
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "title_en",
            "title_zh",
            "category",
            "hs_code",
            "attributes",
            "weight_g",
            "length_cm",
            "width_cm",
            "height_cm",
            "declared_value_usd",
            "origin_country",
            "images",
            "created_at",
        ]
        read_only_fields = fields


class ProductBriefOutput(serializers.ModelSerializer):
    category = serializers.IntegerField(source="category_id", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "title_en", "title_zh", "category", "hs_code"]
        read_only_fields = fields


# --- Listings ---------------------------------------------------------------------------------


class RetailPriceOutput(serializers.ModelSerializer):
    class Meta:
        model = ListingPrice
        fields = ["market", "currency", "amount", "set_at"]
        read_only_fields = fields


class OverseasStockOutput(serializers.ModelSerializer):
    class Meta:
        model = OverseasStock
        fields = ["market", "quantity", "reported_at"]
        read_only_fields = fields


class SupplySideOutput(serializers.Serializer):
    """What the listing's supplier and operators see, and integrators do not."""

    supply_price_cny = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="The agreed supply price (CNY per unit); null until price review agrees one.",
    )
    status_reason = serializers.CharField(help_text="Why the listing is in its state.")
    status_changed_at = serializers.DateTimeField()
    paused_for_stock = serializers.BooleanField(
        help_text="Paused by the stock rule: it resumes by itself when stock is back."
    )
    next_step = serializers.CharField(help_text="What happens next, for people.")
    overseas_stock = OverseasStockOutput(
        many=True, help_text="Semi managed: the stock the seller reported per market."
    )


class ListingListOutput(serializers.ListSerializer):
    """A page of listings: their compliance is read set-based for the page (`with_compliance`),
    not two queries per listing."""

    def to_representation(self, data: Any) -> list[Any]:
        page = with_compliance(data.all() if hasattr(data, "all") else data)
        return super().to_representation(page)


class ListingOutput(serializers.ModelSerializer):
    product = ProductBriefOutput(read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    sellable_markets = serializers.SerializerMethodField(
        help_text=(
            "Market codes where a consumer can buy it now: live, priced there, for a semi "
            "managed listing with the seller's stock there, and where its compliance holds "
            "(`GET /api/v1/listings/{id}/compliance/` says why not)."
        )
    )
    retail_prices = RetailPriceOutput(
        source="prices", many=True, read_only=True, help_text="Set by the platform, per market."
    )
    supply = serializers.SerializerMethodField(
        help_text="For the listing's supplier and staff; null for integrators."
    )
    case_pack = serializers.IntegerField(
        read_only=True, help_text="Units in one case: restock proposals ask for whole cases."
    )
    production_lead_days = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The supplier's production lead time in days; null: the platform's default.",
    )
    dead_stock_since = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="No orders since this day (China's date): no restock proposals.",
    )

    class Meta:
        model = Listing
        list_serializer_class = ListingListOutput
        fields = [
            "id",
            "product",
            "supplier",
            "mode",
            "is_jit",
            "status",
            "sellable_markets",
            "retail_prices",
            "supply",
            "case_pack",
            "production_lead_days",
            "dead_stock_since",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_sellable_markets(self, listing: Listing) -> list[str]:
        return sellable_markets_of(listing)

    @extend_schema_field(SupplySideOutput(allow_null=True))
    def get_supply(self, listing: Listing) -> dict[str, Any] | None:
        if not self.context.get("supply_side"):
            return None
        return SupplySideOutput(
            {
                "supply_price_cny": listing.supply_price_cny,
                "status_reason": listing.status_reason,
                "status_changed_at": listing.status_changed_at,
                "paused_for_stock": listing.paused_for_stock,
                "next_step": str(NEXT_STEP[Listing.Status(listing.status)]),
                "overseas_stock": listing.overseas_stock.all(),
            }
        ).data


class OverseasStockInput(serializers.Serializer):
    market = serializers.ChoiceField(choices=Market.choices)
    quantity = integer_field(help_text="Units in the seller's warehouse there (0+).")


# --- Price rounds -----------------------------------------------------------------------------


class PriceRoundOutput(serializers.ModelSerializer):
    agreed_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="The price agreed by this round (CNY), if it was accepted.",
    )

    class Meta:
        model = PriceRound
        fields = [
            "id",
            "number",
            "status",
            "proposed_price",
            "counter_price",
            "agreed_price",
            "supplier_note",
            "operator_note",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class PriceProposeInput(serializers.Serializer):
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text='CNY per unit as a string, e.g. "18.50".'
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# --- Tenders ----------------------------------------------------------------------------------


class BidOutput(serializers.ModelSerializer):
    class Meta:
        model = Bid
        fields = ["id", "unit_price", "lead_time_days", "capacity", "placed_at", "updated_at"]
        read_only_fields = fields


class TenderOutput(serializers.ModelSerializer):
    product = ProductBriefOutput(read_only=True)
    my_bid = serializers.SerializerMethodField(
        help_text="The caller's own bid, or null. No other bid, and no count of them, is shown."
    )
    won = serializers.SerializerMethodField(
        help_text="After closing: whether the caller's bid won; null while open or without a bid."
    )

    class Meta:
        model = Tender
        fields = [
            "id",
            "product",
            "quantity",
            "closes_at",
            "min_score",
            "max_return_rate",
            "required_test",
            "quality_adjusted",
            "status",
            "opened_at",
            "closed_at",
            "my_bid",
            "won",
        ]
        read_only_fields = fields

    def _own_bid(self, tender: Tender) -> Bid | None:
        own: list[Bid] = getattr(tender, "own_bids", [])
        return own[0] if own else None

    @extend_schema_field(BidOutput(allow_null=True))
    def get_my_bid(self, tender: Tender) -> dict[str, Any] | None:
        bid = self._own_bid(tender)
        return None if bid is None else BidOutput(bid).data

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_won(self, tender: Tender) -> bool | None:
        bid = self._own_bid(tender)
        if bid is None or tender.status == Tender.Status.OPEN:
            return None
        return tender.winning_bid_id == bid.pk


class BidInput(serializers.Serializer):
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text='CNY per unit as a string, e.g. "12.40".'
    )
    lead_time_days = integer_field(help_text="Days from the award to delivery.")
    capacity = integer_field(help_text="Units the factory can deliver.")
