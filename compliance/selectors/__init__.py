"""Reads that carry a compliance rule, a module per subject."""
