"""Returns's selectors, a module per subject."""
