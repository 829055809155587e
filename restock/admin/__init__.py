"""Restock's admin screens, a module per subject (each imported here to register)."""

from . import runs, signals

__all__ = ["runs", "signals"]
