"""The supplier's catalogue in the portal: products, listings, the bulk import and tenders."""
