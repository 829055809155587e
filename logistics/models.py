"""Warehouses, stocking orders, inbound shipments, the stock ledger, parcels and customs
(SPEC, "Consignment inventory and logistics").

The models arrive with the consignment and logistics issues; the app is registered now.
"""
