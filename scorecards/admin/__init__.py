"""Scorecards' admin screens (imported here to register)."""

from . import scorecards

__all__ = ["scorecards"]
