"""A parcel's customs decision through the API: `GET /api/v1/parcels/{id}/customs/`. A supplier
user reads those of its own parcels, integrators with `read` and staff all; any other parcel,
or one not decided yet, is a 404."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from customs.selectors.wording import step_sentence
from marketplace.api.schema import error_responses

from ..models import CustomsDecision
from ..selectors.customs import customs_decisions_visible_to


class StepOutput(serializers.Serializer):
    step = serializers.CharField(help_text="The step's code (stable: switch on it).")
    text = serializers.CharField(help_text="The step for people, in the caller's language.")
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="The step's figures as the decision keeps them (amounts as decimal strings)."
    )


class CustomsDecisionOutput(serializers.ModelSerializer[CustomsDecision]):
    parcel = serializers.IntegerField(source="parcel_id")
    rule = serializers.IntegerField(
        source="rule_id",
        allow_null=True,
        help_text="The de minimis rule used (`GET /api/v1/de-minimis-rules/`); null when none "
        "was in force.",
    )
    customs_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    duty = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_at_sale = serializers.BooleanField(
        help_text="The tax is collected at sale (EU IOSS, UK, AU), not at the border."
    )
    arithmetic = serializers.SerializerMethodField(help_text="How the figures were reached.")

    class Meta:
        model = CustomsDecision
        fields = [
            "parcel",
            "ship_date",
            "rule",
            "outcome",
            "currency",
            "customs_value",
            "duty",
            "tax",
            "tax_at_sale",
            "arithmetic",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(StepOutput(many=True))
    def get_arithmetic(self, decision: CustomsDecision) -> list[dict[str, Any]]:
        return [
            {
                "step": step.get("step", ""),
                "text": step_sentence(step, decision.currency),
                "data": {key: value for key, value in step.items() if key != "step"},
            }
            for step in decision.arithmetic
        ]


class ParcelCustomsApi(APIView):
    @extend_schema(
        operation_id="parcels_customs",
        summary="A parcel's customs decision",
        description=(
            "How the parcel enters its market, judged by the de minimis rule, duty and tax rates "
            "in force on its ship date (the day it departed origin, else was picked up, else the "
            "day it was decided): `de_minimis` (duty-free), `flat_duty` (the EU's flat duty per "
            "distinct HS subheading) or `entry` (duty estimated from the duty table), with the "
            "customs value, duty and tax in the market's currency, whether the tax is collected "
            "at sale, the rule used and each step of the arithmetic, worded in the caller's "
            "language. A supplier user reads its own parcels', integrators (`read`) and staff "
            "all; another parcel, or one not decided yet, is a 404."
        ),
        responses={200: CustomsDecisionOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        user = cast(User, request.user)
        decision = customs_decisions_visible_to(user).filter(parcel_id=pk).first()
        if decision is None:
            raise Http404(_("No customs decision of this parcel is visible to you."))
        return Response(CustomsDecisionOutput(decision).data)


urlpatterns = [
    path("parcels/<int:pk>/customs/", ParcelCustomsApi.as_view(), name="api-parcel-customs"),
]
