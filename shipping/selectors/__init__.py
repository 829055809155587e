"""Shipping's selectors, a module per subject."""
