"""The bulk import of products in the portal: upload a spreadsheet, check the preview, confirm."""

from __future__ import annotations

import json
import secrets

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalogue.services.imports import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    ImportInvalid,
    ImportPreview,
    import_commit,
    import_preview,
    import_template,
)
from marketplace.errors import DomainError

from ..access import SupplierRequest, supplier_required
from ..errors import show_domain_error
from .forms import (
    ImportUploadForm,
)
from .listings import _listings

IMPORT_SESSION_KEY = "catalogue_import"
IMPORT_DONE_KEY = "catalogue_import_done"
# The parsed rows wait in the session between preview and confirmation; a file that would
# make the session this large is refused (split it).
IMPORT_SESSION_MAX_BYTES = 1024 * 1024
IMPORT_GUARD_SECONDS = 3600


def _import_page(
    request: SupplierRequest,
    form: ImportUploadForm,
    preview: ImportPreview | None = None,
    token: str = "",
    name: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "portal/catalogue/import.html",
        {
            "form": form,
            "preview": preview,
            "token": token,
            "name": name,
            "max_rows": IMPORT_MAX_ROWS,
            "max_bytes": IMPORT_MAX_BYTES,
        },
        status=status,
    )


@supplier_required
@require_http_methods(["GET", "POST"])
def catalogue_import(request: SupplierRequest) -> HttpResponse:
    """Upload, then a preview of every row with its errors; the rows wait in the session."""
    if request.method != "POST":
        return _import_page(request, ImportUploadForm())
    form = ImportUploadForm(request.POST, request.FILES)
    request.session.pop(IMPORT_SESSION_KEY, None)
    if not form.is_valid():
        return _import_page(request, form)
    upload = form.cleaned_data["file"]
    supplier = request.membership.supplier
    try:
        preview = import_preview(upload, supplier, name=upload.name or "")
    except DomainError as error:
        show_domain_error(request, error, form)
        return _import_page(request, form)
    token = ""
    if preview.valid:
        pending = {
            "token": secrets.token_urlsafe(16),
            "supplier": supplier.pk,
            "name": upload.name,
            "rows": preview.stored(),
        }
        if len(json.dumps(pending, ensure_ascii=False).encode()) > IMPORT_SESSION_MAX_BYTES:
            form.add_error("file", _("The file holds too much text to preview; split it."))
            return _import_page(request, form)
        request.session[IMPORT_SESSION_KEY] = pending
        token = pending["token"]
    return _import_page(request, ImportUploadForm(), preview, token=token, name=upload.name)


@supplier_required
@require_POST
def catalogue_import_confirm(request: SupplierRequest) -> HttpResponse:
    supplier = request.membership.supplier
    pending = request.session.get(IMPORT_SESSION_KEY) or {}
    token = request.POST.get("token", "")
    if not token or pending.get("token") != token or pending.get("supplier") != supplier.pk:
        messages.error(
            request, _("This preview has expired or was already imported; upload the file again.")
        )
        return redirect("portal:catalogue_import")
    # A double click sends the confirmation twice: only one of them imports.
    guard = f"portal:catalogue-import:{token}"
    if not cache.add(guard, 1, IMPORT_GUARD_SECONDS):
        messages.error(request, _("This file is already being imported."))
        return redirect("portal:catalogue_import")
    try:
        result = import_commit(pending["rows"], supplier, actor=request.user)
    except ImportInvalid as error:
        cache.delete(guard)
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.error(request, error.message)
        return _import_page(
            request, ImportUploadForm(), error.preview, name=pending.get("name", "")
        )
    except DomainError as error:
        cache.delete(guard)
        request.session.pop(IMPORT_SESSION_KEY, None)
        show_domain_error(request, error)
        return redirect("portal:catalogue_import")
    request.session.pop(IMPORT_SESSION_KEY, None)
    request.session[IMPORT_DONE_KEY] = {
        "name": pending.get("name", ""),
        "listings": [listing.pk for listing in result.listings],
        "rounds": len(result.rounds),
    }
    return redirect("portal:catalogue_import_done")


@supplier_required
@require_GET
def catalogue_import_done(request: SupplierRequest) -> HttpResponse:
    done = request.session.get(IMPORT_DONE_KEY)
    if not done:
        return redirect("portal:catalogue_import")
    imported = _listings(request).filter(pk__in=done.get("listings", [])).select_related("product")
    page = Paginator(imported.order_by("pk"), 100).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/catalogue/import_done.html",
        {"done": done, "page_obj": page, "count": len(done.get("listings", []))},
    )


@supplier_required
@require_GET
def catalogue_import_template(request: SupplierRequest) -> HttpResponse:
    response = HttpResponse("\ufeff" + import_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="catalogue-import-template.csv"'
    return response
