"""Customs's services, a module per subject."""
