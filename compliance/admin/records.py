from django.contrib import admin

from marketplace.admin_export import export_csv

from ..models import TestRecord


@admin.register(TestRecord)
class TestRecordAdmin(admin.ModelAdmin):
    list_display = [
        "standard",
        "product",
        "supplier",
        "result",
        "lab",
        "report_number",
        "issued_on",
        "valid_until",
    ]
    list_filter = ["result", "standard", "valid_until"]
    search_fields = [
        "standard__code",
        "report_number",
        "lab__name",
        "product__title_en",
        "supplier__name_en",
    ]
    list_select_related = ["product", "supplier"]
    raw_id_fields = ["product", "supplier"]
    readonly_fields = ["recorded_by", "recorded_at"]
    actions = [export_csv]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
