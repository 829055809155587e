"""Returns's services, a module per subject."""
