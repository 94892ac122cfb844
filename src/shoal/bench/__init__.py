"""shoal.bench (see BRIEF layers)."""
