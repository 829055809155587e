from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

HS_CODE = re.compile(r"^\d{6,10}$")


def validate_hs_code(value: str) -> None:
    """A Harmonized System code: the 6-digit international subheading, optionally extended by
    national digits to 8 or 10 (written without dots)."""
    if not HS_CODE.match(value or ""):
        raise ValidationError(
            _("An HS code has 6 to 10 digits, without dots or spaces (e.g. 950300)."),
            code="hs_code",
        )
