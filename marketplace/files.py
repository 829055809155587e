"""Uploads: what a file is, known by its content (its first bytes), since the name alone proves
nothing; and the one response every door builds for a stored file, after its own selector has
found it (media is never served publicly)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

# A PDF may have a few bytes before its header; readers look within the first kilobyte.
PDF_HEADER_WINDOW = 1024


def content_kind(head: bytes) -> str | None:
    """ "pdf", "jpeg" or "png" by a file's first bytes (PDF_HEADER_WINDOW of them), else None."""
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None


def upload_kind(upload: Any) -> str | None:
    """`content_kind` of an uploaded file, which is left at its start."""
    upload.seek(0)
    head = upload.read(PDF_HEADER_WINDOW)
    upload.seek(0)
    return content_kind(head.encode() if isinstance(head, str) else head)


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
