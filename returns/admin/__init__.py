"""Returns's admin screens, a module per subject (each imported here to register)."""

from . import return_rates  # noqa: F401
