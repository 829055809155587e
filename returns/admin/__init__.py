"""Returns's admin screens, a module per subject (each imported here to register)."""

from . import chargebacks, return_rates, returns

__all__ = ["chargebacks", "return_rates", "returns"]
