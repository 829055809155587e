"""Restock's admin screens, a module per subject (each imported here to register)."""

from . import signals

__all__ = ["signals"]
