"""Uploads served to the people allowed to read them (media is never served publicly): the one
response every door builds for a stored file, after its own selector has found the file."""

from __future__ import annotations

import mimetypes

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def private_file(stored: FieldFile, *, max_age: int = 3600) -> FileResponse:
    """The file, typed from its name (never sniffed by the browser), cached by the reader only;
    a file missing from storage is a 404, not a 500."""
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    kind = mimetypes.guess_type(stored.name or "")[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=kind)
    response["Cache-Control"] = f"private, max-age={max_age}"
    response["X-Content-Type-Options"] = "nosniff"
    return response
