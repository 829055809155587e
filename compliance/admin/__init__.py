"""Compliance officers' screens, a module per subject. Actions call the services."""

from . import (
    enforcement,  # noqa: F401
    records,  # noqa: F401
)
