from django.contrib import admin

from .models import Membership, Supplier


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name_en", "name_zh", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["name_en", "name_zh"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "supplier", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "supplier__name_en", "supplier__name_zh"]
    list_select_related = ["user", "supplier"]
    raw_id_fields = ["user", "supplier"]
