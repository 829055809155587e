"""What the suppliers API reads and writes. Output serializers only read; writes go to a service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.api.fields import id_field
from suppliers.models import Factory, LedgerEntry, Membership, Supplier

# --- Suppliers --------------------------------------------------------------------------------


class FactoryOutput(serializers.ModelSerializer):
    class Meta:
        model = Factory
        fields = ["id", "province", "city", "address", "industrial_cluster"]
        read_only_fields = fields


class SupplierOutput(serializers.ModelSerializer):
    factories = FactoryOutput(many=True, read_only=True)
    balance = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text=(
            "The deposit in CNY. Only for staff who may read the ledger; null for everyone "
            "else (a supplier reads its own in `/me/`)."
        ),
    )

    class Meta:
        model = Supplier
        fields = [
            "id",
            "name_zh",
            "name_en",
            "credit_code",
            "status",
            "status_changed_at",
            "jit_status",
            "factories",
            "balance",
            "created_at",
        ]
        read_only_fields = fields


class OwnSupplierOutput(serializers.ModelSerializer):
    factories = FactoryOutput(many=True, read_only=True)
    balance = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="The deposit in CNY."
    )

    class Meta:
        model = Supplier
        fields = [
            "id",
            "name_zh",
            "name_en",
            "credit_code",
            "contact_name",
            "contact_phone",
            "contact_email",
            "intended_categories",
            "status",
            "status_changed_at",
            "changes_requested",
            "review_comment",
            "jit_status",
            "jit_status_reason",
            "jit_status_changed_at",
            "factories",
            "balance",
            "created_at",
        ]
        read_only_fields = fields


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.ChoiceField(choices=Membership.Role.choices)
    supplier = OwnSupplierOutput()


# --- The ledger -------------------------------------------------------------------------------


class ReferenceOutput(serializers.Serializer):
    type = serializers.CharField(help_text="What caused the entry: order, penalty, return...")
    id = serializers.CharField()


class LedgerEntryOutput(serializers.ModelSerializer):
    supplier = serializers.IntegerField(source="supplier_id", read_only=True)
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="Signed CNY: credits positive, debits negative.",
    )
    corrects = serializers.IntegerField(
        source="corrects_id",
        read_only=True,
        allow_null=True,
        help_text="The entry this one corrects, if any.",
    )
    reference = serializers.SerializerMethodField()

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "supplier",
            "kind",
            "amount",
            "currency",
            "reference",
            "corrects",
            "memo",
            "bank_reference",
            "posted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ReferenceOutput(allow_null=True))
    def get_reference(self, entry: LedgerEntry) -> dict[str, str] | None:
        if entry.reference_type is None:
            return None
        return {"type": entry.reference_type.model, "id": entry.reference_id}


class TopUpInput(serializers.Serializer):
    supplier = id_field(help_text="The supplier's id.")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text='CNY as a string, e.g. "5000.00".'
    )
    bank_reference = serializers.CharField(
        max_length=100, help_text="The bank transfer's reference; each is credited once."
    )


# --- JIT enrolment ----------------------------------------------------------------------------


class JitConditionOutput(serializers.Serializer):
    code = serializers.CharField(help_text="`active`, `pilot_province` or `deposit`.")
    met = serializers.BooleanField()
    message = serializers.CharField()


class JitEnrolmentOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Supplier.JitStatus.choices)
    reason = serializers.CharField(help_text="Why the status is what it is (e.g. a pause).")
    changed_at = serializers.DateTimeField(allow_null=True)
    conditions = JitConditionOutput(many=True, help_text="Each condition of the pilot.")
