"""The supplier's notifications: every event about it, worded as a sentence in the reader's
language."""
