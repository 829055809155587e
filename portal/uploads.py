"""What a business licence may be (its extension and, by its content, what it is)."""

from __future__ import annotations

# Known by its first bytes (marketplace.files.content_kind), since the name alone proves nothing.
LICENCE_EXTENSIONS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
