"""Shipping's services, a module per subject."""
