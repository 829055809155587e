"""`GET /api/v1/listings/{id}/compliance/?market=US[&at=…]`: the compliance answer for one of the
caller's visible listings (scoped like the listing detail)."""

from __future__ import annotations

from typing import cast

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from catalogue.selectors import listings_visible_to
from compliance.api.answer import AnswerOutput, AnswerQuery, answer_data
from compliance.selectors.answer import check_market, compliance_answer
from marketplace.api.schema import error_responses
from marketplace.markets import Market


class ListingComplianceApi(APIView):
    @extend_schema(
        operation_id="listings_compliance",
        summary="May this listing be sold / shipped in a market",
        description=(
            "The compliance answer for one listing in one market, now or at a past moment "
            "(`at`, ISO 8601: judged by the rules in force and the evidence that counted then), "
            "with every reason it may not be sold or shipped, in the caller's language. Scoped "
            "like the listing: a supplier user its own listings, integrators (`read`) the live "
            "ones, staff all of them. A `market` the system does not know is a 422 naming "
            "`market`."
        ),
        parameters=[
            OpenApiParameter(
                "market", str, required=True, enum=Market.values, description="The market."
            ),
            OpenApiParameter(
                "at", OpenApiTypes.DATETIME, description="The moment to judge (default now)."
            ),
        ],
        responses={200: AnswerOutput, **error_responses(400, 401, 403, 404, 422, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        query = AnswerQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        market = check_market(query.validated_data["market"])
        listing = get_object_or_404(
            listings_visible_to(user).select_related("product__category"), pk=pk
        )
        answer = compliance_answer(listing, market, at=query.validated_data.get("at"))
        return Response(AnswerOutput(answer_data(answer)).data)
