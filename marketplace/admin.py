from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import JobRun


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "progress", "started_at", "finished_at", "summary"]
    list_filter = ["status", "name"]
    readonly_fields = [f.name for f in JobRun._meta.fields] + ["progress"]

    @admin.display(description=_("progress"))
    def progress(self, run: JobRun) -> str:
        if run.percent is None:
            return f"{run.done:,}"
        total = f"{run.total:,}" if run.total else "?"
        return format_html(
            '<progress max="100" value="{}"></progress> {}% ({} / {})',
            run.percent,
            run.percent,
            f"{run.done:,}",
            total,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: JobRun | None = None) -> bool:
        return False
