"""Compliance's state changes, a module per subject: one function per business action."""
