"""Helpers shared by the orders admin screens."""

from __future__ import annotations

import mimetypes

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def _file_response(stored: FieldFile) -> FileResponse:
    """An upload shown to staff (media is not served publicly)."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = mimetypes.guess_type(stored.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = "private, max-age=3600"
    return response
