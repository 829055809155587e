from rest_framework import serializers

from suppliers.models import Supplier


class SupplierOutput(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "name_zh", "name_en", "status", "created_at"]
        read_only_fields = fields
