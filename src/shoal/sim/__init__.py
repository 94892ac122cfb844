"""shoal.sim (see BRIEF layers)."""
