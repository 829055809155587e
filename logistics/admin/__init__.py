"""The operators', the warehouse's and the inspectors' screens for consignment inventory.

Every change goes through a service in logistics.services (or orders.services.consumer): the
stocking-order add form issues through the service, shipments move through actions and the
buttons on their page, receiving counts a line on its count page, the inspector records a lot on
its inspect page (which shows the sampling plan first), and a markdown is recorded through an
action. No state field is edited in a form, and a refusal (DomainError) is shown on the form or
as a message, never a 500. The stock ledger is read-only everywhere: positions show their latest
movements, and nobody adds, changes or deletes a movement here (the database refuses it too).
"""

from . import inbound, inspection, places, quarantine, stock, stocking, test_purchases

__all__ = [
    "inbound",
    "inspection",
    "places",
    "quarantine",
    "stock",
    "stocking",
    "test_purchases",
]
