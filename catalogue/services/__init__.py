"""The only code that changes the catalogue: `listings` (states, retail prices, overseas stock and
the automatic pause), `prices` (price review rounds), `caps` (the stocking cap rule) and
`tenders` (reverse auctions)."""
