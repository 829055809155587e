"""Consignment stock on its way in (SPEC, "Consignment inventory and logistics"), each move
through one function with an event (and so a webhook and a portal notification):

- `stocking`: the platform's stocking orders, accepted, declined or lapsed;
- `notices`: the supplier's advance notice of an inbound shipment;
- `shipments`: the shipment's moves, from booked to closed or cancelled;
- `pickups`: circular pickups from the supplier's industrial cluster;
- `receiving`: counting what arrived, line by line, and its discrepancies;
- `inspection`: ISO 2859-1 sampling of each counted lot, and the switching rules.

The tables of the moves are beside their models: `STOCKING_ORDER_MACHINE` and
`INBOUND_SHIPMENT_MACHINE` in logistics/models.py.
"""
