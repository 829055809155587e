"""Compliance officers' screens, a module per subject. Actions call the services."""

from . import evidence  # noqa: F401
