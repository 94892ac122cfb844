"""shoal.metrics (see BRIEF layers)."""
