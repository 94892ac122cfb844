"""shoal.examples (see BRIEF layers)."""
