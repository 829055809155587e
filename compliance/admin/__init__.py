"""Compliance officers' screens, a module per subject. Actions call the services."""

from . import (
    audits,  # noqa: F401
    enforcement,  # noqa: F401
    records,  # noqa: F401
    rules,  # noqa: F401
    sampling,  # noqa: F401
    trust,  # noqa: F401
)
