"""Restock's admin screens, a module per subject (each imported here to register)."""

from . import proposals, runs, signals

__all__ = ["proposals", "runs", "signals"]
