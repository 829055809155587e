"""Returns's admin screens, a module per subject (each imported here to register)."""

from . import chargebacks, returns

__all__ = ["chargebacks", "returns"]
