"""Shipping's admin screens, a module per subject (each imported here to register)."""

from . import batches, consumer_orders, customs, late, parcels, tracking  # noqa: F401
