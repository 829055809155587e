"""What an uploaded document is, known by its content (its first bytes), since the name alone
proves nothing: a business licence, an appeal's evidence."""

from __future__ import annotations

# What a business licence may be: known by its first bytes, since the name alone proves nothing.
LICENCE_EXTENSIONS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
# A PDF may have a few bytes before its header; readers look within the first kilobyte.
PDF_HEADER_WINDOW = 1024


def licence_kind(head: bytes) -> str | None:
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    return None
