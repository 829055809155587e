"""Shipping's admin screens, a module per subject (each imported here to register)."""

from . import customs, late, tracking  # noqa: F401
