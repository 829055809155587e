"""The JIT warehouse's and the operators' screens for JIT orders, penalties and appeals, and for
consumer orders and payables.

Every change is an action or the reject-for-quality form, and each calls a service in
orders.services (receive, inspect, decide an appeal, fulfil or cancel a consumer order); nothing
is edited in a form, so a save can never undo a move the sweep or the supplier made meanwhile. A
refusal is shown as a message, never a 500. Penalties are the sweep's: read-only here, with their
evidence.
"""

from . import consumer, jit, penalties

__all__ = ["consumer", "jit", "penalties"]
