"""The suppliers API: one view per operation. Every read goes through a selector scoped to the
caller (another supplier's record is a 404, or absent from a list); every write calls a
service."""

from __future__ import annotations

from typing import cast

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import SUPPLIER, Scope, User
from marketplace.api.schema import error_responses
from suppliers.models import LedgerEntry, Membership, Supplier
from suppliers.selectors import ledger_entries_visible_to, supplier_list_visible_to, with_balance
from suppliers.services.jit import jit_apply, jit_conditions
from suppliers.services.ledger import ledger_top_up
from suppliers.services.members import require_owner

from .filters import LedgerEntryFilter, SupplierFilter
from .pagination import PostedCursorPagination
from .permissions import CanReadLedgers
from .serializers import (
    JitEnrolmentOutput,
    LedgerEntryOutput,
    MeOutput,
    SupplierOutput,
    TopUpInput,
)


def _caller(request: Request) -> User:
    return cast(User, request.user)


def _own_supplier(user: User) -> tuple[Membership, Supplier]:
    """The caller's membership and its supplier, with factories and balance (the view's
    `supplier` scope guarantees a membership)."""
    membership: Membership = user.supplier_membership
    supplier = get_object_or_404(
        with_balance(supplier_list_visible_to(user)).prefetch_related("factories"),
        pk=membership.supplier_id,
    )
    return membership, supplier


# --- Suppliers --------------------------------------------------------------------------------


class SupplierApiBase(generics.GenericAPIView[Supplier]):
    serializer_class = SupplierOutput

    def get_queryset(self) -> QuerySet[Supplier]:
        user = _caller(self.request)
        suppliers = supplier_list_visible_to(user).prefetch_related("factories")
        # Balances are for staff who may read the ledger; everyone else gets null.
        if user.has_perm("suppliers.view_ledgerentry"):
            suppliers = with_balance(suppliers)
        return suppliers


class SupplierListApi(SupplierApiBase, generics.ListAPIView[Supplier]):
    """Suppliers the caller may see: all of them for integrators and staff, its own for a
    supplier user. Filter by `status`, `jit_status`, `province` (of any factory) and `name`."""

    filterset_class = SupplierFilter

    @extend_schema(
        operation_id="suppliers_list",
        summary="List suppliers",
        responses={200: SupplierOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class SupplierDetailApi(SupplierApiBase, generics.RetrieveAPIView[Supplier]):
    """One supplier with its factories and JIT status."""

    @extend_schema(
        operation_id="suppliers_retrieve",
        summary="Get a supplier",
        responses={200: SupplierOutput, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk=pk)


# --- The supplier's own profile ---------------------------------------------------------------


class MeApi(APIView):
    """The calling supplier user's profile: its supplier (factories, balance, JIT status and
    reason) and its role. Other callers get 403 (scope `supplier`)."""

    required_scopes = {"GET": SUPPLIER}

    @extend_schema(
        operation_id="me_retrieve",
        summary="Get the caller's supplier profile",
        responses={200: MeOutput, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        user = _caller(request)
        membership, supplier = _own_supplier(user)
        data = {"username": user.get_username(), "role": membership.role, "supplier": supplier}
        return Response(MeOutput(data).data)


# --- The ledger -------------------------------------------------------------------------------


class LedgerEntryListApi(generics.ListAPIView[LedgerEntry]):
    """Deposit ledger entries, newest first. A supplier user sees its own; staff who may read
    ledgers and integrators with `finance:write` see every supplier's (filter with `supplier`).
    An integrator without `finance:write` gets 403."""

    permission_classes = [CanReadLedgers]
    serializer_class = LedgerEntryOutput
    filterset_class = LedgerEntryFilter
    pagination_class = PostedCursorPagination

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        return ledger_entries_visible_to(_caller(self.request)).select_related("reference_type")

    @extend_schema(
        operation_id="ledger_entries_list",
        summary="List deposit ledger entries",
        responses={200: LedgerEntryOutput(many=True), **error_responses(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class TopUpCreateApi(APIView):
    """Finance credits a bank transfer to a supplier's deposit. A bank reference is credited
    once per supplier: repeating it answers 409 `duplicate_top_up` and posts nothing, so a
    retried request is safe."""

    required_scopes = {"POST": Scope.FINANCE_WRITE.value}

    @extend_schema(
        operation_id="top_ups_create",
        summary="Credit a deposit top-up",
        request=TopUpInput,
        responses={201: LedgerEntryOutput, **error_responses(400, 401, 403, 409, 422, 429)},
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)
        data = TopUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        supplier = supplier_list_visible_to(user).filter(pk=data.validated_data["supplier"]).first()
        if supplier is None:
            raise serializers.ValidationError({"supplier": ["No such supplier."]})
        entry = ledger_top_up(
            supplier,
            amount=data.validated_data["amount"],
            bank_reference=data.validated_data["bank_reference"],
            actor=user,
        )
        return Response(LedgerEntryOutput(entry).data, status=status.HTTP_201_CREATED)


# --- JIT enrolment ----------------------------------------------------------------------------


def _jit_state(supplier: Supplier) -> dict[str, object]:
    return {
        "status": supplier.jit_status,
        "reason": supplier.jit_status_reason,
        "changed_at": supplier.jit_status_changed_at,
        "conditions": jit_conditions(supplier),
    }


class JitEnrolmentApi(APIView):
    """The supplier's JIT status and each eligibility condition. The owner applies with POST;
    when a condition fails the answer is 422 `jit_not_eligible` with one entry in `fields` per
    failing condition."""

    required_scopes = {"GET": SUPPLIER, "POST": SUPPLIER}

    @extend_schema(
        operation_id="me_jit_enrolment_retrieve",
        summary="Get the JIT status and conditions",
        responses={200: JitEnrolmentOutput, **error_responses(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        _membership, supplier = _own_supplier(_caller(request))
        return Response(JitEnrolmentOutput(_jit_state(supplier)).data)

    @extend_schema(
        operation_id="me_jit_enrolment_apply",
        summary="Apply for JIT",
        request=None,
        responses={
            200: OpenApiResponse(JitEnrolmentOutput, description="Enrolled (or already)."),
            **error_responses(401, 403, 422, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = _caller(request)
        membership, supplier = _own_supplier(user)
        require_owner(membership)
        supplier = jit_apply(supplier, actor=user)
        return Response(JitEnrolmentOutput(_jit_state(supplier)).data)
