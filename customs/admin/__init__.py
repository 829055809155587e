"""Customs's admin screens, a module per subject (each imported here to register)."""

from . import rules  # noqa: F401
