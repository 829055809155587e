"""Returns's admin screens, a module per subject (each imported here to register)."""
