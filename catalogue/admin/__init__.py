"""Operator screens for the catalogue. Every state change is an action (or the tender add form,
or a listing's retail-price rows) that calls a service in catalogue.services; the services refuse
illegal moves and the refusal is shown as a message or a form error, never a 500.

Bids are sealed: before a tender closes its page shows who bid and when, never the amounts.
"""

from . import categories, corrective_pauses, listings, prices, products, tenders

__all__ = ["categories", "corrective_pauses", "listings", "prices", "products", "tenders"]
