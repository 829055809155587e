"""Factory audits and corrective actions through the API, read only: a supplier user reads its
own, staff who may view them all of them; integrators are refused (403). Changes are made in
the portal (the supplier) and the admin (officers)."""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django.db.models import Prefetch, QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.permissions import HasScope
from accounts.models import User
from marketplace.api.filters import IdFilter
from marketplace.api.pagination import CreatedCursorPagination
from marketplace.api.schema import error_responses

from ..models import Audit, CorrectiveAction, Finding
from ..selectors.audits import audits_visible_to, corrective_actions_visible_to


class NotForIntegrators(HasScope):
    """An audit is between the platform and the supplier: integrators get 403 rather than an
    empty list."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if hasattr(request.user, "api_client"):
            self.message = "Factory audits are read by the supplier concerned and by staff."
            return False
        return True


def _caller(request: Request) -> User:
    return cast(User, request.user)


# --- Serializers ------------------------------------------------------------------------------


class ActionRefOutput(serializers.ModelSerializer):
    class Meta:
        model = CorrectiveAction
        fields = ["id", "status", "due_on"]
        read_only_fields = fields


class FindingOutput(serializers.ModelSerializer):
    category = serializers.IntegerField(
        source="category_id",
        read_only=True,
        allow_null=True,
        help_text="The product category it concerns; null: all the supplier's listings.",
    )
    action = ActionRefOutput(read_only=True, help_text="Its corrective action.")

    class Meta:
        model = Finding
        fields = ["id", "severity", "category", "area", "description", "action"]
        read_only_fields = fields


class AuditOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    factory = serializers.IntegerField(source="factory_id", read_only=True, allow_null=True)
    score = serializers.IntegerField(read_only=True, help_text="0 to 100.")
    findings = FindingOutput(many=True, read_only=True)

    class Meta:
        model = Audit
        fields = [
            "id",
            "supplier",
            "factory",
            "auditor",
            "audited_on",
            "score",
            "recorded_at",
            "findings",
        ]
        read_only_fields = fields


class CorrectiveActionOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    audit = serializers.IntegerField(source="finding.audit_id", read_only=True)
    finding = serializers.IntegerField(source="finding_id", read_only=True)
    severity = serializers.ChoiceField(
        source="finding.severity", choices=Finding.Severity.choices, read_only=True
    )
    category = serializers.IntegerField(
        source="finding.category_id",
        read_only=True,
        allow_null=True,
        help_text="null: the finding concerns all the supplier's listings.",
    )
    area = serializers.CharField(source="finding.area", read_only=True)
    evidence_count = serializers.SerializerMethodField(help_text="Evidence files attached.")

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "supplier",
            "audit",
            "finding",
            "severity",
            "category",
            "area",
            "due_on",
            "status",
            "status_changed_at",
            "root_cause",
            "containment",
            "preventive_step",
            "effectiveness_review",
            "closed_at",
            "evidence_count",
        ]
        read_only_fields = fields

    def get_evidence_count(self, action: CorrectiveAction) -> int:
        return len(action.evidence.all())


# --- Filters and pages ------------------------------------------------------------------------


class AuditFilter(django_filters.FilterSet):
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")

    class Meta:
        model = Audit
        fields = ["supplier"]


class CorrectiveActionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CorrectiveAction.Status.choices)
    severity = django_filters.ChoiceFilter(
        field_name="finding__severity", choices=Finding.Severity.choices
    )
    supplier = IdFilter(field_name="supplier_id", label="Supplier id (staff)")
    audit = IdFilter(field_name="finding__audit_id", label="Audit id")

    class Meta:
        model = CorrectiveAction
        fields = ["status", "severity", "supplier", "audit"]


class RecordedCursorPagination(CreatedCursorPagination):
    """Audits, newest recorded first."""

    ordering = ("-recorded_at", "-id")


class DueCursorPagination(CreatedCursorPagination):
    """Corrective actions, soonest due first."""

    ordering = ("due_on", "id")


def _audits(request: Request) -> QuerySet[Audit]:
    findings = Finding.objects.select_related("action").order_by("id")
    return audits_visible_to(_caller(request)).prefetch_related(
        Prefetch("findings", queryset=findings)
    )


def _actions(request: Request) -> QuerySet[CorrectiveAction]:
    return corrective_actions_visible_to(_caller(request)).prefetch_related("evidence")


# --- Views ------------------------------------------------------------------------------------


class AuditListApi(generics.ListAPIView[Audit]):
    serializer_class = AuditOutput
    permission_classes = [NotForIntegrators]
    filterset_class = AuditFilter
    pagination_class = RecordedCursorPagination

    def get_queryset(self) -> QuerySet[Audit]:
        return _audits(self.request)

    @extend_schema(
        operation_id="audits_list",
        summary="List factory audits",
        description=(
            "Factory audits with their findings and each finding's corrective action, newest "
            "first: a supplier user its own, staff all. Integrators get 403."
        ),
        responses={200: AuditOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class AuditDetailApi(generics.RetrieveAPIView[Audit]):
    serializer_class = AuditOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[Audit]:
        return _audits(self.request)

    @extend_schema(
        operation_id="audits_retrieve",
        summary="Get a factory audit",
        description=(
            "One factory audit with its findings and each finding's corrective action. A "
            "supplier user reads its own only (another's id is a 404)."
        ),
        responses={200: AuditOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


class CorrectiveActionListApi(generics.ListAPIView[CorrectiveAction]):
    serializer_class = CorrectiveActionOutput
    permission_classes = [NotForIntegrators]
    filterset_class = CorrectiveActionFilter
    pagination_class = DueCursorPagination

    def get_queryset(self) -> QuerySet[CorrectiveAction]:
        return _actions(self.request)

    @extend_schema(
        operation_id="corrective_actions_list",
        summary="List corrective actions",
        description=(
            "The corrective action of each audit finding, soonest due first: a supplier user "
            "its own, staff all. Integrators get 403."
        ),
        responses={
            200: CorrectiveActionOutput(many=True),
            **error_responses(400, 401, 403, 429),
        },
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class CorrectiveActionDetailApi(generics.RetrieveAPIView[CorrectiveAction]):
    serializer_class = CorrectiveActionOutput
    permission_classes = [NotForIntegrators]

    def get_queryset(self) -> QuerySet[CorrectiveAction]:
        return _actions(self.request)

    @extend_schema(
        operation_id="corrective_actions_retrieve",
        summary="Get a corrective action",
        description=(
            "One corrective action: the finding it answers, its due date and status, the "
            "supplier's answer and the officer's effectiveness review. A supplier user reads its "
            "own only (another's id is a 404)."
        ),
        responses={200: CorrectiveActionOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


urlpatterns = [
    path("audits/", AuditListApi.as_view(), name="api-audit-list"),
    path("audits/<int:pk>/", AuditDetailApi.as_view(), name="api-audit-detail"),
    path(
        "corrective-actions/",
        CorrectiveActionListApi.as_view(),
        name="api-corrective-action-list",
    ),
    path(
        "corrective-actions/<int:pk>/",
        CorrectiveActionDetailApi.as_view(),
        name="api-corrective-action-detail",
    ),
]
