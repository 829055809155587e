"""Shipping's admin screens, a module per subject (each imported here to register)."""

from . import batches, consumer_orders, parcels

__all__ = ["batches", "consumer_orders", "parcels"]
