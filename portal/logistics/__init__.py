"""Consignment inventory in the portal: stocking orders, inbound shipments, the stock with its
ageing, payables and overstock offers."""
