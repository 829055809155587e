"""The rules as data for compliance officers: standards (with the limits their measured values
are judged by), and test programmes per category and market with their requirements. All
effective-dated: a rule changes by ending a row (effective to) and starting another, never by
deleting one, so a past answer replays as it was given (compliance.selectors.answer)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from marketplace.admin_export import export_csv
from marketplace.formatting import money_display

from ..models import ProgrammeRequirement, Standard, TestProgramme, TestSpecification


class InForceFilter(admin.SimpleListFilter):
    """Rows in force today, or not (ended, or not begun)."""

    title = _("in force today")
    parameter_name = "in_force"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        today = timezone.localdate()
        in_force = queryset.model.objects.in_force(today).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=in_force)
        if self.value() == "no":
            return queryset.exclude(pk__in=in_force)
        return queryset


class NoDeleteAdmin(admin.ModelAdmin):
    """Rules end (effective to), they are not deleted: past answers replay with them."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SpecificationInline(admin.TabularInline):
    model = TestSpecification
    fields = [
        "parameter",
        "label",
        "unit",
        "minimum",
        "maximum",
        "warn_within",
        "effective_from",
        "effective_to",
    ]
    extra = 0
    can_delete = False


@admin.register(Standard)
class StandardAdmin(NoDeleteAdmin):
    list_display = ["code", "title", "market", "test_cost", "effective_from", "effective_to"]
    test_cost = money_display("test_cost_cny", _("test cost (CNY)"))
    list_filter = ["market", InForceFilter]
    search_fields = ["code", "title", "covers"]
    inlines = [SpecificationInline]
    actions = [export_csv]


@admin.register(TestSpecification)
class TestSpecificationAdmin(NoDeleteAdmin):
    list_display = [
        "standard",
        "parameter",
        "unit",
        "minimum",
        "maximum",
        "warn_within",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["standard__market", InForceFilter]
    search_fields = ["standard__code", "parameter", "label"]
    list_select_related = ["standard"]
    autocomplete_fields = ["standard"]


class RequirementInline(admin.TabularInline):
    model = ProgrammeRequirement
    fields = ["standard", "evidence", "lab_flag", "efiling"]
    autocomplete_fields = ["standard"]
    extra = 1


@admin.register(TestProgramme)
class TestProgrammeAdmin(NoDeleteAdmin):
    list_display = ["name", "market", "category", "effective_from", "effective_to", "standards_"]
    list_filter = ["market", ("category", admin.RelatedOnlyFieldListFilter), InForceFilter]
    search_fields = ["name", "category__code", "category__name_en", "standards__code"]
    list_select_related = ["category"]
    fields = ["name", "market", "category", "effective_from", "effective_to"]
    inlines = [RequirementInline]
    actions = [export_csv]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TestProgramme]:
        return super().get_queryset(request).prefetch_related("requirements__standard")

    @admin.display(description=_("requirements"))
    def standards_(self, programme: TestProgramme) -> str:
        """The standards by code (what evidence each needs is on the programme's page)."""
        return ", ".join(requirement.standard.code for requirement in programme.requirements.all())
