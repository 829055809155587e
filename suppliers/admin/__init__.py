"""Operator, finance and compliance screens for suppliers and their money. Every state change is
an action (or the ledger's add form) that calls a service; the services refuse illegal moves,
and the refusal is shown as a message or a form error."""

from . import ledger, members, suppliers

__all__ = ["ledger", "members", "suppliers"]
