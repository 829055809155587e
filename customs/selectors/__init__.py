"""Customs's selectors, a module per subject."""
