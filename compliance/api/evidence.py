"""Test records and certificates through the API.

- A lab's own API client (scope `labs:write`; the lab is the Lab whose API client is the caller)
  posts a test record as `multipart/form-data`: the report PDF in `report_file`, the measured
  values as a JSON array in the `measurements` part. It is verified at once. Posting the same
  report number again returns the record held (200); other data under that number is 409
  `report_conflict` naming what differs.
- Supplier users read their own records and certificates; staff what their role's view
  permission allows; a lab's client reads its lab's records. Other integrators get 403.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, cast

import django_filters
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, parsers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.permissions import HasScope
from accounts.models import Scope, User
from marketplace.api.exceptions import flat_fields
from marketplace.api.fields import id_field
from marketplace.api.filters import IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses
from marketplace.errors import DomainError, ErrorKind
from marketplace.markets import Market

from ..models import Certificate, Measurement, Standard, TestRecord
from ..selectors.evidence import certificates_visible_to, test_records_visible_to
from ..services.labs import lab_for_client
from ..services.records import MeasuredValue, RecordIn, test_record_post

# A cap on one request's size, not a rule: a report measures a few dozen parameters at most.
MAX_MEASUREMENTS = 200


class RecordedCursorPagination(CreatedCursorPagination):
    """Newest recorded first."""

    ordering = ("-recorded_at", "-id")


class EvidenceReaders(HasScope):
    """Records and certificates are read by their supplier, by staff and (records) by the lab
    that posted them; any other integrator is refused with 403 rather than an empty list."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        client = getattr(request.user, "api_client", None)
        if client is None or request.method == "POST":
            return True
        if getattr(view, "labs_read", False) and hasattr(client, "lab"):
            return True
        self.message = "Test records are read by their supplier, their lab and staff."
        return False


# --- Serializers ------------------------------------------------------------------------------


class MeasurementOutput(serializers.ModelSerializer):
    class Meta:
        model = Measurement
        fields = ["parameter", "unit", "value", "minimum", "maximum", "warn_within", "verdict"]


class TestRecordOutput(serializers.ModelSerializer):
    __test__ = False

    product = serializers.IntegerField(source="product_id", read_only=True)
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    standard = serializers.CharField(source="standard.code", read_only=True)
    market = serializers.ChoiceField(
        source="standard.market", choices=Market.choices, read_only=True
    )
    lab = serializers.CharField(source="lab.name", read_only=True)
    superseded_by = serializers.IntegerField(
        source="superseded_by_id", read_only=True, allow_null=True
    )
    has_report = serializers.SerializerMethodField()
    measurements = MeasurementOutput(many=True, read_only=True)

    class Meta:
        model = TestRecord
        fields = [
            "id",
            "product",
            "supplier",
            "standard",
            "market",
            "lab",
            "report_number",
            "result",
            "issued_on",
            "valid_until",
            "source",
            "status",
            "recorded_at",
            "verified_at",
            "status_note",
            "superseded_by",
            "superseded_at",
            "report_sha256",
            "has_report",
            "measurements",
        ]

    def get_has_report(self, record: TestRecord) -> bool:
        return bool(record.report_file)


class CertificateOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    products = serializers.SerializerMethodField()
    standards = serializers.SerializerMethodField()
    test_lab = serializers.CharField(source="test_lab.name", read_only=True, allow_null=True)
    efiling_missing = serializers.SerializerMethodField()

    class Meta:
        model = Certificate
        fields = [
            "id",
            "supplier",
            "kind",
            "issuer",
            "number",
            "scope",
            "products",
            "standards",
            "issued_on",
            "valid_until",
            "status",
            "check_method",
            "checked_at",
            "check_note",
            "file_sha256",
            "rules_cited",
            "certifier",
            "manufactured_on",
            "manufactured_at",
            "last_tested_on",
            "last_tested_at",
            "test_lab",
            "records_keeper",
            "efiling_missing",
            "recorded_at",
        ]

    def get_products(self, certificate: Certificate) -> list[int]:
        return [product.pk for product in certificate.products.all()]

    def get_standards(self, certificate: Certificate) -> list[str]:
        return [standard.code for standard in certificate.standards.all()]

    def get_efiling_missing(self, certificate: Certificate) -> list[str]:
        return certificate.efiling_missing()


class TestRecordPostInput(serializers.Serializer):
    __test__ = False

    product = id_field(help_text="The product's id (the supplier's own or listed product).")
    supplier = id_field(help_text="The supplier's id.")
    standard = serializers.CharField(max_length=60, help_text="The standard's code, e.g. EN 71-3.")
    report_number = serializers.CharField(max_length=100)
    result = serializers.ChoiceField(choices=TestRecord.Result.choices)
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()
    report_file = serializers.FileField(help_text="The report, a PDF.")
    measurements = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100_000,
        help_text=(
            'A JSON array of measured values: [{"parameter": "lead_substrate", "value": "42.5", '
            '"unit": "ppm"}, ...]; `unit` may be left out (the specification\'s).'
        ),
    )
    sampling_request = id_field(
        required=False, help_text="The sampling request this test answers, if any."
    )


class MeasurementInput(serializers.Serializer):
    parameter = serializers.CharField(max_length=60)
    value = serializers.DecimalField(max_digits=14, decimal_places=4)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


def _measured(raw: str) -> list[MeasuredValue]:
    if not raw.strip():
        return []
    try:
        values = json.loads(raw, parse_float=Decimal)
    except (ValueError, InvalidOperation):
        raise serializers.ValidationError(
            {"measurements": [_("Not a JSON array of measured values.")]}
        ) from None
    if not isinstance(values, list) or len(values) > MAX_MEASUREMENTS:
        raise serializers.ValidationError(
            {
                "measurements": [
                    _("A JSON array of at most %(n)d measured values.") % {"n": MAX_MEASUREMENTS}
                ]
            }
        )
    rows = MeasurementInput(data=values, many=True)
    if not rows.is_valid():
        raise serializers.ValidationError(flat_fields(rows.errors, "measurements"))
    return [
        MeasuredValue(row["parameter"], row["value"], row["unit"]) for row in rows.validated_data
    ]


def _visible_records(user: User) -> QuerySet[TestRecord]:
    return test_records_visible_to(user).prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("parameter"))
    )


class TestRecordFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=TestRecord.Status.choices)
    result = django_filters.ChoiceFilter(choices=TestRecord.Result.choices)
    product = IdFilter(field_name="product_id", label="Product id")
    standard = django_filters.CharFilter(field_name="standard__code", label="Standard code")
    market = django_filters.ChoiceFilter(
        field_name="standard__market", choices=Market.choices, label="The standard's market"
    )

    class Meta:
        model = TestRecord
        fields = ["status", "result", "product", "standard", "market"]


class CertificateFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Certificate.Status.choices)
    kind = django_filters.ChoiceFilter(choices=Certificate.Kind.choices)

    class Meta:
        model = Certificate
        fields = ["status", "kind"]


# --- Views ------------------------------------------------------------------------------------


class TestRecordListApi(generics.ListAPIView[TestRecord]):
    __test__ = False

    serializer_class = TestRecordOutput
    permission_classes = [EvidenceReaders]
    filterset_class = TestRecordFilter
    pagination_class = RecordedCursorPagination
    required_scopes = {"POST": Scope.LABS_WRITE.value}
    labs_read = True

    def get_parsers(self) -> list[Any]:
        if self.request is not None and self.request.method == "POST":
            return [parsers.MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self) -> QuerySet[TestRecord]:
        return _visible_records(cast(User, self.request.user))

    @extend_schema(
        operation_id="test_records_list",
        summary="List test records",
        description=(
            "Test records, newest recorded first, with their measured values (each with the "
            "limits it was judged by and its verdict). A supplier user its own, a lab's client "
            "its lab's, staff who may view records all. Other integrators get 403. Filter by "
            "`status`, `result`, `product`, `standard` (its code) and `market` (an unknown "
            "market is 400 naming `market`)."
        ),
        responses={200: TestRecordOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    @extend_schema(
        operation_id="test_records_create",
        summary="Post a test record (labs)",
        description=(
            "A lab posts a result through its own API client (scope `labs:write`), as "
            "`multipart/form-data` with the report PDF in `report_file` (checked by its content) "
            "and the measured values as a JSON array in `measurements`. The record is verified "
            "at once (201). The same report number posted again with the same data returns the "
            "record held (200), with other data 409 `report_conflict` naming the fields that "
            "differ; a supplier's unverified upload of the same report is confirmed by it "
            "(200). Refusals name their field: a standard outside the lab's accreditation on "
            "the issue date (422 `not_accredited`, `standard`), an unknown standard (422, "
            "`standard`), dates out of order (422 `dates_out_of_order`, `valid_until`), an "
            "unknown product of that supplier (422 `unknown_product`, `product`), a file that "
            "is not a PDF (422 `not_a_pdf`, `report_file`), a measured value the specification "
            "measures otherwise (422 `invalid_measurement`, `measurements[0].unit`). A caller "
            "that is not a lab's client is 403 `not_a_lab`."
        ),
        request={"multipart/form-data": TestRecordPostInput},
        responses={
            200: TestRecordOutput,
            201: TestRecordOutput,
            **error_responses(400, 401, 403, 409, 415, 422, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        lab = lab_for_client(user)
        data = TestRecordPostInput(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(flat_fields(data.errors))
        values: dict[str, Any] = data.validated_data
        measurements = _measured(values.get("measurements", ""))
        standard = Standard.objects.filter(code__iexact=values["standard"].strip()).first()
        if standard is None:
            message = _("No such standard.")
            raise DomainError(
                "unknown_standard", message, kind=ErrorKind.INVALID, fields={"standard": message}
            )
        record, created = test_record_post(
            RecordIn(
                product_id=values["product"],
                supplier_id=values["supplier"],
                standard=standard,
                lab=lab,
                report_number=values["report_number"],
                result=values["result"],
                issued_on=values["issued_on"],
                valid_until=values["valid_until"],
                report_file=values["report_file"],
                measurements=measurements,
                sampling_request_id=values.get("sampling_request"),
            ),
            actor=user,
        )
        shown = get_object_or_404(_visible_records(user), pk=record.pk)
        return Response(
            TestRecordOutput(shown).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class TestRecordDetailApi(generics.RetrieveAPIView[TestRecord]):
    __test__ = False

    serializer_class = TestRecordOutput
    permission_classes = [EvidenceReaders]
    labs_read = True

    def get_queryset(self) -> QuerySet[TestRecord]:
        return _visible_records(cast(User, self.request.user))

    @extend_schema(
        operation_id="test_records_retrieve",
        summary="Get a test record",
        description="One test record with its measured values. A supplier user sees its own only.",
        responses={200: TestRecordOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


def _visible_certificates(user: User) -> QuerySet[Certificate]:
    return certificates_visible_to(user).prefetch_related("products", "standards")


class CertificateListApi(generics.ListAPIView[Certificate]):
    serializer_class = CertificateOutput
    permission_classes = [EvidenceReaders]
    filterset_class = CertificateFilter
    pagination_class = RecordedCursorPagination

    def get_queryset(self) -> QuerySet[Certificate]:
        return _visible_certificates(cast(User, self.request.user))

    @extend_schema(
        operation_id="certificates_list",
        summary="List certificates",
        description=(
            "Certificates and declarations of conformity, newest recorded first, with their "
            "status, how they were checked and the CPSC eFiling data (`efiling_missing` names "
            "what a US entry would lack). A supplier user its own, staff who may view "
            "certificates all; integrators get 403. Filter by `status` and `kind`."
        ),
        responses={200: CertificateOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class CertificateDetailApi(generics.RetrieveAPIView[Certificate]):
    serializer_class = CertificateOutput
    permission_classes = [EvidenceReaders]

    def get_queryset(self) -> QuerySet[Certificate]:
        return _visible_certificates(cast(User, self.request.user))

    @extend_schema(
        operation_id="certificates_retrieve",
        summary="Get a certificate",
        description="One certificate. A supplier user sees its own only.",
        responses={200: CertificateOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


urlpatterns = [
    path("test-records/", TestRecordListApi.as_view(), name="api-test-record-list"),
    path("test-records/<int:pk>/", TestRecordDetailApi.as_view(), name="api-test-record-detail"),
    path("certificates/", CertificateListApi.as_view(), name="api-certificate-list"),
    path("certificates/<int:pk>/", CertificateDetailApi.as_view(), name="api-certificate-detail"),
]
